#include "daemon/event_bus.h"

namespace krata::daemon {

EventSubscription::Event EventSubscription::Wait(v1::common::Zone* out,
                                                 std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_for(l, timeout, [this] { return !queue_.empty() || ended_; });
  if (overflow_) return Event::kOverflow;
  if (!queue_.empty()) {
    *out = std::move(queue_.front());
    queue_.pop_front();
    return Event::kZone;
  }
  return ended_ ? Event::kEnd : Event::kTimeout;
}

void EventSubscription::Cancel() {
  std::lock_guard<std::mutex> l(mu_);
  ended_ = true;
  cv_.notify_all();
}

void EventSubscription::Push(const v1::common::Zone& zone) {
  std::lock_guard<std::mutex> l(mu_);
  if (ended_) return;
  if (queue_.size() >= kMaxQueued) {
    overflow_ = true;
    ended_ = true;
    queue_.clear();
  } else {
    queue_.push_back(zone);
  }
  cv_.notify_all();
}

void EventBus::Publish(const v1::common::Zone& zone) {
  std::lock_guard<std::mutex> l(mu_);
  std::erase_if(subscribers_, [&](const std::weak_ptr<EventSubscription>& w) {
    std::shared_ptr<EventSubscription> s = w.lock();
    if (!s) return true;
    s->Push(zone);
    return false;
  });
}

std::shared_ptr<EventSubscription> EventBus::Subscribe() {
  auto sub = std::make_shared<EventSubscription>();
  std::lock_guard<std::mutex> l(mu_);
  if (shutdown_) {
    sub->Cancel();
  } else {
    subscribers_.push_back(sub);
  }
  return sub;
}

void EventBus::Shutdown() {
  std::lock_guard<std::mutex> l(mu_);
  shutdown_ = true;
  for (auto& w : subscribers_) {
    if (std::shared_ptr<EventSubscription> s = w.lock()) s->Cancel();
  }
  subscribers_.clear();
}

}  // namespace krata::daemon
