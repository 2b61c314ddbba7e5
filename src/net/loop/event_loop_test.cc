#include "net/loop/event_loop.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace krata::net {
namespace {

using std::chrono::milliseconds;

struct Pipe {
  Pipe() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    r = UniqueFd(fds[0]);
    w = UniqueFd(fds[1]);
  }
  UniqueFd r, w;
};

TEST(EventLoop, DispatchesReadableFd) {
  auto loop = MUST(EventLoop::Create());
  Pipe p;
  int calls = 0;
  MUST(loop->Add(p.r.get(), EPOLLIN, [&](uint32_t ev) {
    EXPECT_TRUE(ev & EPOLLIN);
    char c;
    EXPECT_EQ(read(p.r.get(), &c, 1), 1);
    ++calls;
  }));
  MUST(loop->RunOnce(milliseconds(0)));
  EXPECT_EQ(calls, 0);
  ASSERT_EQ(write(p.w.get(), "x", 1), 1);
  MUST(loop->RunOnce(milliseconds(1000)));
  EXPECT_EQ(calls, 1);
}

TEST(EventLoop, HandlerMayRemoveAnotherReadyFd) {
  auto loop = MUST(EventLoop::Create());
  Pipe a, b;
  int a_calls = 0, b_calls = 0;
  MUST(loop->Add(a.r.get(), EPOLLIN, [&](uint32_t) {
    ++a_calls;
    loop->Remove(b.r.get());
  }));
  MUST(loop->Add(b.r.get(), EPOLLIN, [&](uint32_t) {
    ++b_calls;
    loop->Remove(a.r.get());
  }));
  ASSERT_EQ(write(a.w.get(), "x", 1), 1);
  ASSERT_EQ(write(b.w.get(), "x", 1), 1);
  MUST(loop->RunOnce(milliseconds(1000)));
  // Whichever ran first removed the other, which must then not run.
  EXPECT_EQ(a_calls + b_calls, 1);
}

TEST(EventLoop, TimersFireInOrderAndCancel) {
  auto loop = MUST(EventLoop::Create());
  std::vector<int> order;
  auto now = loop->Now();
  loop->AddTimer(now + milliseconds(20), [&] { order.push_back(2); });
  loop->AddTimer(now + milliseconds(10), [&] { order.push_back(1); });
  auto cancelled = loop->AddTimer(now + milliseconds(15), [&] { order.push_back(99); });
  loop->CancelTimer(cancelled);
  loop->CancelTimer(cancelled);  // twice is harmless
  auto deadline = now + milliseconds(5000);
  while (order.size() < 2 && loop->Now() < deadline) MUST(loop->RunOnce(milliseconds(100)));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_GE(loop->Now() - now, milliseconds(20));
}

TEST(EventLoop, TimerMayAddTimer) {
  auto loop = MUST(EventLoop::Create());
  int fired = 0;
  loop->AddTimer(milliseconds(0), [&] {
    ++fired;
    loop->AddTimer(milliseconds(0), [&] { ++fired; });
  });
  auto deadline = loop->Now() + milliseconds(5000);
  while (fired < 2 && loop->Now() < deadline) MUST(loop->RunOnce(milliseconds(100)));
  EXPECT_EQ(fired, 2);
}

TEST(EventLoop, AfterDispatchRunsAfterHandlersAndTimers) {
  auto loop = MUST(EventLoop::Create());
  std::vector<std::string> order;
  loop->SetAfterDispatch([&] { order.push_back("after"); });
  Pipe p;
  MUST(loop->Add(p.r.get(), EPOLLIN, [&](uint32_t) {
    char c;
    EXPECT_EQ(read(p.r.get(), &c, 1), 1);
    order.push_back("fd");
  }));
  loop->AddTimer(milliseconds(0), [&] { order.push_back("timer"); });
  ASSERT_EQ(write(p.w.get(), "x", 1), 1);
  MUST(loop->RunOnce(milliseconds(1000)));
  EXPECT_EQ(order, (std::vector<std::string>{"fd", "timer", "after"}));
}

TEST(EventLoop, StopFromAnotherThreadEndsRun) {
  auto loop = MUST(EventLoop::Create());
  std::thread stopper([&] { loop->Stop(); });
  MUST(loop->Run());  // returns only because of Stop (the wait is 60 s otherwise)
  stopper.join();
}

TEST(EventLoop, AddUnknownFdFails) {
  auto loop = MUST(EventLoop::Create());
  EXPECT_FALSE(loop->Add(-1, EPOLLIN, [](uint32_t) {}).has_value());
  EXPECT_FALSE(loop->Modify(12345, EPOLLIN).has_value());
  loop->Remove(12345);
}

}  // namespace
}  // namespace krata::net
