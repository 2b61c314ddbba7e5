#pragma once
// PID 1's life after boot: reaping every child (signalfd SIGCHLD, no sleeps), turning the
// host's shutdown request (SIGPWR from /sbin/poweroff, or SIGTERM/SIGINT) into SIGTERM to
// the workload's process group and SIGKILL after the grace period, reporting the exit to
// xenstore, and powering the domain off. PID 1 never exits: the kernel would panic.

#include <sys/types.h>

#include <chrono>

#include "base/result.h"
#include "base/unique_handle.h"
#include "zone/exit_status.h"

namespace krata::zone {

class Supervisor {
 public:
  // Blocks the signals PID 1 handles and routes them to a signalfd. Call first thing in
  // main, before any fork, so the workload inherits nothing it could miss.
  static Result<Supervisor> Install();

  // Reaps children until main_pid ends; returns how it ended. A shutdown request meanwhile
  // sends SIGTERM to its process group, then SIGKILL after grace.
  ExitReport RunWorkload(pid_t main_pid, std::chrono::milliseconds grace);

  // Writes the exit to xenstore from a short-lived child (xenstored might not answer; PID 1
  // must still power off), waiting at most timeout for it.
  void Report(const ExitReport& exit, std::chrono::milliseconds timeout);

  // SIGKILL to everything left, reap, sync, unmount, reboot(RB_POWER_OFF). Never returns.
  [[noreturn]] void PowerOff();

 private:
  explicit Supervisor(UniqueFd sigfd) : sigfd_(std::move(sigfd)) {}
  // Reads pending signals; returns true if a shutdown was requested. Reaps on SIGCHLD,
  // storing the status of `watch` (if it ended) in *status.
  bool Drain(pid_t watch, int* status, bool* ended);
  // Reaps until `pid` ends or deadline passes; false on timeout.
  bool WaitFor(pid_t pid, int* status, std::chrono::steady_clock::time_point deadline);

  UniqueFd sigfd_;
};

// Entry point when invoked as "poweroff" (the kernel's orderly_poweroff helper): SIGPWR to
// PID 1, exit 0.
int PoweroffHelperMain();

}  // namespace krata::zone
