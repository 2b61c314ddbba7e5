#include "net/loop/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace krata::net {

Result<std::unique_ptr<EventLoop>> EventLoop::Create() {
  UniqueFd ep(epoll_create1(EPOLL_CLOEXEC));
  if (!ep) return Error::FromErrno("epoll_create1", errno);
  UniqueFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake) return Error::FromErrno("eventfd", errno);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake.get();
  if (epoll_ctl(ep.get(), EPOLL_CTL_ADD, wake.get(), &ev) != 0) {
    return Error::FromErrno("epoll_ctl", errno, "eventfd");
  }
  return std::unique_ptr<EventLoop>(new EventLoop(std::move(ep), std::move(wake)));
}

EventLoop::EventLoop(UniqueFd epoll, UniqueFd wake)
    : epoll_(std::move(epoll)), wake_(std::move(wake)) {}

EventLoop::~EventLoop() = default;

Status EventLoop::Add(int fd, uint32_t events, FdHandler handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    return Error::FromErrno("epoll_ctl", errno, "add fd " + std::to_string(fd));
  }
  auto watch = std::make_shared<Watch>();
  watch->handler = std::move(handler);
  watch->generation = next_generation_++;
  watches_[fd] = std::move(watch);
  return {};
}

Status EventLoop::Modify(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) {
    return Error::FromErrno("epoll_ctl", errno, "modify fd " + std::to_string(fd));
  }
  return {};
}

void EventLoop::Remove(int fd) {
  if (watches_.erase(fd) == 0) return;
  // The fd may already be closed (then the kernel dropped it from the set itself).
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

EventLoop::TimerId EventLoop::AddTimer(Clock::time_point when, std::function<void()> fn) {
  TimerId id = next_timer_++;
  auto it = timers_.emplace(when, id);
  timer_fns_.emplace(id, std::make_pair(it, std::move(fn)));
  return id;
}

void EventLoop::CancelTimer(TimerId id) {
  auto it = timer_fns_.find(id);
  if (it == timer_fns_.end()) return;
  timers_.erase(it->second.first);
  timer_fns_.erase(it);
}

Status EventLoop::RunOnce(std::chrono::milliseconds max_wait) {
  int timeout_ms = static_cast<int>(std::max<int64_t>(0, max_wait.count()));
  if (!timers_.empty()) {
    auto until = std::chrono::ceil<std::chrono::milliseconds>(timers_.begin()->first - Now());
    timeout_ms = std::min<int64_t>(timeout_ms, std::max<int64_t>(0, until.count()));
  }
  epoll_event events[64];
  int n = epoll_wait(epoll_.get(), events, 64, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return {};
    return Error::FromErrno("epoll_wait", errno);
  }
  // Snapshot the watches first: a handler may remove (and another add) any fd, and a reused
  // fd number must not receive the old fd's event.
  std::vector<std::pair<std::shared_ptr<Watch>, uint32_t>> ready;
  ready.reserve(n);
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd == wake_.get()) {
      uint64_t v;
      (void)!read(wake_.get(), &v, sizeof(v));
      continue;
    }
    auto it = watches_.find(fd);
    if (it != watches_.end()) ready.emplace_back(it->second, uint32_t{events[i].events});
  }
  for (auto& [watch, ev] : ready) {
    // A removed watch has been dropped from watches_; only its snapshot keeps it alive.
    if (watch.use_count() == 1) continue;
    watch->handler(ev);
  }
  // Timers due now; those added by handlers for "now" run on the next pass.
  auto now = Now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    TimerId id = timers_.begin()->second;
    auto fn = std::move(timer_fns_[id].second);
    timer_fns_.erase(id);
    timers_.erase(timers_.begin());
    fn();
  }
  if (after_dispatch_) after_dispatch_();
  return {};
}

Status EventLoop::Run() {
  while (true) {
    TRY(RunOnce(std::chrono::milliseconds(60000)));
    if (stop_requested_.exchange(false)) break;
  }
  return {};
}

void EventLoop::Stop() {
  stop_requested_ = true;
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof(one));
}

}  // namespace krata::net
