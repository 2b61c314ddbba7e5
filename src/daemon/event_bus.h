#pragma once
// EventBus: ZoneChanged fan-out to WatchEvents streams. Publish() never blocks on a reader;
// a subscriber more than kMaxQueued events behind is cut off (kOverflow) and must re-watch.
//
// Thread-safe.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "krata/v1/common.pb.h"

namespace krata::daemon {

class EventSubscription {
 public:
  static constexpr size_t kMaxQueued = 4096;
  enum class Event { kZone, kEnd, kOverflow, kTimeout };
  Event Wait(v1::common::Zone* out, std::chrono::milliseconds timeout);
  void Cancel();

 private:
  friend class EventBus;
  void Push(const v1::common::Zone& zone);
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::common::Zone> queue_;
  bool ended_ = false;
  bool overflow_ = false;
};

class EventBus {
 public:
  void Publish(const v1::common::Zone& zone);
  std::shared_ptr<EventSubscription> Subscribe();
  void Shutdown();

 private:
  std::mutex mu_;
  std::vector<std::weak_ptr<EventSubscription>> subscribers_;
  bool shutdown_ = false;
};

}  // namespace krata::daemon
