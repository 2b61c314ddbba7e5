#include "zone/supervisor.h"

#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "xen/store/client.h"
#include "zone/mount_plan.h"

namespace krata::zone {
namespace {

constexpr int kHandled[] = {SIGCHLD, SIGPWR, SIGTERM, SIGINT, SIGHUP};

void NoopHandler(int) {}

bool IsShutdownSignal(uint32_t sig) { return sig == SIGPWR || sig == SIGTERM || sig == SIGINT; }

int MsUntil(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
}

// Signal a process group, falling back to the process itself when it has not called setsid
// yet (kill(-pgid) would then fail with ESRCH).
void SignalWorkload(pid_t pid, int sig) {
  if (kill(-pid, sig) != 0) kill(pid, sig);
}

Status WriteExit(const ExitReport& exit) {
  using xen::store::XsClient;
  std::unique_ptr<xen::store::Transport> t = TRY(xen::store::OpenXenbus());
  XsClient xs(std::move(t));
  for (const auto& [key, value] : ExitWrites(exit)) TRY(xs.Write(key, value));
  return {};
}

}  // namespace

Result<Supervisor> Supervisor::Install() {
  sigset_t set;
  sigemptyset(&set);
  struct sigaction sa {};
  sa.sa_handler = NoopHandler;
  sigemptyset(&sa.sa_mask);
  for (int sig : kHandled) {
    sigaddset(&set, sig);
    // A handler, not SIG_DFL: the kernel drops SIG_DFL signals sent to init; blocked, they
    // wait for the signalfd anyway.
    sigaction(sig, &sa, nullptr);
  }
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return Error::FromErrno("sigprocmask", errno);
  int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) return Error::FromErrno("signalfd", errno);
  return Supervisor(UniqueFd(fd));
}

bool Supervisor::Drain(pid_t watch, int* status, bool* ended) {
  bool shutdown = false;
  signalfd_siginfo info{};
  while (read(sigfd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (IsShutdownSignal(info.ssi_signo)) shutdown = true;
  }
  // SIGCHLD coalesces: reap everything that is ready whatever the signals said.
  for (;;) {
    int st = 0;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) break;
    if (pid == watch) {
      *status = st;
      *ended = true;
    }
  }
  return shutdown;
}

ExitReport Supervisor::RunWorkload(pid_t main_pid, std::chrono::milliseconds grace) {
  int timer_raw = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  UniqueFd timer(timer_raw);
  bool terminating = false;
  for (;;) {
    int status = 0;
    bool ended = false;
    bool shutdown = Drain(main_pid, &status, &ended);
    if (ended) return FromWaitStatus(status);
    if (shutdown && !terminating) {
      terminating = true;
      spdlog::warn("shutdown requested: SIGTERM to the workload, SIGKILL in {} ms", grace.count());
      SignalWorkload(main_pid, SIGTERM);
      itimerspec its{};
      its.it_value.tv_sec = grace.count() / 1000;
      its.it_value.tv_nsec = (grace.count() % 1000) * 1000000 + 1;  // 0 would disarm
      if (!timer || timerfd_settime(timer.get(), 0, &its, nullptr) != 0) {
        SignalWorkload(main_pid, SIGKILL);  // no timer: no grace
      }
    }
    pollfd fds[2] = {{sigfd_.get(), POLLIN, 0}, {timer.get(), POLLIN, 0}};
    int rc = poll(fds, timer ? 2 : 1, -1);
    if (rc < 0 && errno != EINTR) {
      spdlog::error("poll: {}", std::strerror(errno));
      return {kInitFailureCode, 0};
    }
    uint64_t expirations = 0;
    if (timer && (fds[1].revents & POLLIN) != 0 &&
        read(timer.get(), &expirations, sizeof expirations) > 0) {
      spdlog::warn("grace period over: SIGKILL to the workload");
      SignalWorkload(main_pid, SIGKILL);
    }
  }
}

bool Supervisor::WaitFor(pid_t pid, int* status, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    bool ended = false;
    Drain(pid, status, &ended);
    if (ended) return true;
    if (pid == -1 && waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD) return true;
    int ms = MsUntil(deadline);
    if (ms == 0) return false;
    pollfd pfd{sigfd_.get(), POLLIN, 0};
    poll(&pfd, 1, ms);
  }
}

void Supervisor::Report(const ExitReport& exit, std::chrono::milliseconds timeout) {
  pid_t pid = fork();
  if (pid < 0) {
    spdlog::error("fork for the exit report: {}", std::strerror(errno));
    return;
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    Status s = WriteExit(exit);
    if (!s.has_value()) {
      spdlog::error("exit report to xenstore: {}", s.error().ToString());
      _exit(1);
    }
    _exit(0);
  }
  int status = 0;
  if (!WaitFor(pid, &status, std::chrono::steady_clock::now() + timeout)) {
    spdlog::error("exit report to xenstore timed out after {} ms", timeout.count());
    kill(pid, SIGKILL);
  }
}

void Supervisor::PowerOff() {
  kill(-1, SIGKILL);  // everything but PID 1 (kill(2))
  int status = 0;
  if (!WaitFor(-1, &status, std::chrono::steady_clock::now() + std::chrono::seconds(5))) {
    spdlog::warn("some processes did not die within 5 s");
  }
  sync();
  for (const std::string& target : UnmountOrder()) umount2(target.c_str(), MNT_DETACH);
  sync();
  reboot(RB_POWER_OFF);
  spdlog::error("reboot(RB_POWER_OFF): {}", std::strerror(errno));
  for (;;) pause();  // exiting PID 1 panics the kernel
}

int PoweroffHelperMain() {
  if (kill(1, SIGPWR) != 0) {
    std::fprintf(stderr, "krata-zone poweroff: kill(1, SIGPWR): %s\n", std::strerror(errno));
    return 1;
  }
  return 0;
}

}  // namespace krata::zone
