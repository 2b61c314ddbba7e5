#include "tests/net/stack_thread.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include "base/unique_handle.h"
#include "tests/net/netns.h"

namespace krata::net::testing {

Result<std::unique_ptr<StackThread>> StackThread::Start(const std::string& netns,
                                                        SwitchOptions options) {
  std::unique_ptr<StackThread> st(new StackThread());
  std::promise<Status> started;
  std::future<Status> ready = started.get_future();
  st->thread_ =
      std::thread(&StackThread::Main, st.get(), netns, std::move(options), std::move(started));
  Status s = ready.get();
  if (!s.has_value()) {
    st->thread_.join();
    return std::move(s.error());
  }
  return st;
}

void StackThread::Main(std::string netns, SwitchOptions options, std::promise<Status> started) {
  auto fail = [&](Error e) { started.set_value(std::move(e)); };
  if (Status in = EnterNetns(netns); !in.has_value()) return fail(std::move(in.error()));
  Result<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.has_value()) return fail(std::move(loop.error()));
  Result<std::unique_ptr<Switch>> sw = Switch::Create(**loop, std::move(options));
  if (!sw.has_value()) return fail(std::move(sw.error()));
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  Status added = (*loop)->Add(wake.get(), EPOLLIN, [&](uint32_t) {
    uint64_t v;
    (void)!::read(wake.get(), &v, sizeof(v));
    std::deque<std::function<void()>> run;
    {
      std::lock_guard lock(mu_);
      run.swap(tasks_);
    }
    for (auto& fn : run) fn();
  });
  if (!added.has_value()) return fail(std::move(added.error()));
  loop_ = loop->get();
  sw_ = sw->get();
  wake_ = wake.get();
  started.set_value(Status());
  Status ran = (*loop)->Run();
  if (!ran.has_value()) std::fprintf(stderr, "loop: %s\n", ran.error().ToString().c_str());
  // Tasks posted after Stop() still get run, so no caller waits forever.
  std::deque<std::function<void()>> rest;
  {
    std::lock_guard lock(mu_);
    rest.swap(tasks_);
    wake_ = -1;
  }
  for (auto& fn : rest) fn();
  (*loop)->Remove(wake.get());
  sw->reset();  // the switch (and its sockets) goes on the loop thread, before the loop
}

void StackThread::Post(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  tasks_.push_back(std::move(fn));
  if (wake_ >= 0) {
    uint64_t one = 1;
    (void)!::write(wake_, &one, sizeof(one));
  }
}

StackThread::~StackThread() {
  if (loop_ != nullptr) loop_->Stop();
  thread_.join();
}

}  // namespace krata::net::testing
