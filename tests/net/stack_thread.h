#pragma once
// kratanet (EventLoop + Switch) on its own thread inside a test's "host" netns, as the
// daemon runs it; the test talks to it through Call(), which runs a function on the loop
// thread between dispatches (the switch is single-threaded).

#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "net/loop/event_loop.h"
#include "net/stack/switch.h"

namespace krata::net::testing {

class StackThread {
 public:
  static Result<std::unique_ptr<StackThread>> Start(const std::string& netns,
                                                    SwitchOptions options);
  ~StackThread();

  // Runs fn(Switch&) on the loop thread and returns its result.
  template <typename F>
  auto Call(F fn) -> std::invoke_result_t<F&, Switch&> {
    using R = std::invoke_result_t<F&, Switch&>;
    auto task =
        std::make_shared<std::packaged_task<R()>>([this, fn]() mutable { return fn(*sw_); });
    std::future<R> done = task->get_future();
    Post([task] { (*task)(); });
    return done.get();
  }

 private:
  StackThread() = default;
  void Post(std::function<void()> fn);
  void Main(std::string netns, SwitchOptions options, std::promise<Status> started);

  std::thread thread_;
  EventLoop* loop_ = nullptr;
  Switch* sw_ = nullptr;
  int wake_ = -1;  // eventfd owned by the thread
  std::mutex mu_;
  std::deque<std::function<void()>> tasks_;
};

}  // namespace krata::net::testing
