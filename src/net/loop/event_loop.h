#pragma once
// kratanet's single-threaded event loop: epoll for fds, an ordered timer set, and a
// thread-safe Stop(). Every handler runs on the thread that calls Run(); nothing in the
// network stack locks.

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

#include "base/result.h"
#include "base/unique_handle.h"

namespace krata::net {

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using FdHandler = std::function<void(uint32_t events)>;  // EPOLLIN | EPOLLOUT | ...
  using TimerId = uint64_t;                                // 0 is never a valid id

  static Result<std::unique_ptr<EventLoop>> Create();
  ~EventLoop();

  // Watches fd (level-triggered) with `events`; the handler may Modify/Remove any fd,
  // including its own, and add or cancel timers.
  Status Add(int fd, uint32_t events, FdHandler handler);
  Status Modify(int fd, uint32_t events);
  void Remove(int fd);  // no-op for an unknown fd

  // Runs fn once at `when` (or soon after). Cancel is a no-op for fired or unknown ids.
  TimerId AddTimer(Clock::time_point when, std::function<void()> fn);
  TimerId AddTimer(std::chrono::milliseconds after, std::function<void()> fn) {
    return AddTimer(Now() + after, std::move(fn));
  }
  void CancelTimer(TimerId id);

  Clock::time_point Now() const { return Clock::now(); }

  // Runs fn at the end of every RunOnce, after its fd handlers and timers: where work
  // batched during one dispatch round (frames queued for a link) is flushed.
  void SetAfterDispatch(std::function<void()> fn) { after_dispatch_ = std::move(fn); }

  // Waits up to max_wait for events or timers and dispatches them.
  Status RunOnce(std::chrono::milliseconds max_wait);
  // Dispatches until Stop().
  Status Run();
  // Thread-safe: makes Run() return after the current dispatch.
  void Stop();

 private:
  EventLoop(UniqueFd epoll, UniqueFd wake);
  struct Watch {
    FdHandler handler;
    uint64_t generation = 0;
  };
  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd for Stop()
  std::atomic<bool> stop_requested_{false};
  uint64_t next_generation_ = 1;
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;
  std::function<void()> after_dispatch_;
  TimerId next_timer_ = 1;
  std::multimap<Clock::time_point, TimerId> timers_;
  std::unordered_map<TimerId, std::pair<std::multimap<Clock::time_point, TimerId>::iterator,
                                        std::function<void()>>>
      timer_fns_;
};

}  // namespace krata::net
