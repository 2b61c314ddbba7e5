#pragma once
// FakeRuntime: an in-memory Runtime for the daemon's tests. Domains are records; the test
// plays the guest (Exit, EmitConsole) and sees what the daemon did (Calls, ConsoleInput).
//
// A scripted guest makes end-to-end tests possible without a test thread: when the launched
// command is ["exit", "N"] (or ["kill", "N"]) the fake prints "fake: exit N\n" (or
// "fake: kill N\n") on the console before Launch returns, and the domain is already shut
// down with exit code N (or signal N). ["fail", MESSAGE...] makes Launch fail.
//
// Thread-safe.

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace krata::runtime {

class FakeRuntime : public Runtime {
 public:
  Result<DomId> Launch(const LaunchRequest& request) override;
  Status RequestShutdown(const std::string& zone_id) override;
  Status Destroy(const std::string& zone_id) override;
  Result<std::vector<ZoneDomain>> List() override;
  Result<bool> WaitForChange(std::chrono::milliseconds timeout) override;
  void SetConsoleHandler(ConsoleOutputFn handler) override;
  Status WriteConsole(const std::string& zone_id, std::string_view bytes) override;

  // --- the test's side ---
  // The next Launch fails with this message.
  void FailNextLaunch(std::string message);
  // When false, RequestShutdown only records the call (a guest that ignores it).
  void SetObeyShutdown(bool obey);
  // Adds a running domain as if it survived a daemon restart.
  void AddDomain(const std::string& zone_id, DomId domid);
  // Removes a domain as if it vanished behind the daemon's back (xl destroy).
  void RemoveDomain(const std::string& zone_id);
  // The guest's workload ends: the domain shuts down with this exit.
  void Exit(const std::string& zone_id, ZoneExit exit);
  // The guest prints bytes on its console (calls the handler on this thread).
  void EmitConsole(const std::string& zone_id, std::string_view bytes);
  // What was written to the zone's console so far.
  std::string ConsoleInput(const std::string& zone_id);
  // Blocks until the zone's console input contains `needle` or the timeout passes.
  bool WaitForConsoleInput(const std::string& zone_id, std::string_view needle,
                           std::chrono::milliseconds timeout);
  // "launch <id>", "shutdown <id>", "destroy <id>" in call order.
  std::vector<std::string> Calls();
  // Blocks until Calls() contains `call` or the timeout passes.
  bool WaitForCall(const std::string& call, std::chrono::milliseconds timeout);
  // The last request Launch saw for the zone.
  std::optional<LaunchRequest> LastLaunch(const std::string& zone_id);
  bool HasDomain(const std::string& zone_id);

 private:
  struct Domain {
    DomId domid = 0;
    bool shut_down = false;
    std::optional<ZoneExit> exit;
    std::string input;
  };
  Result<DomId> LaunchLocked(const LaunchRequest& request, std::string* output,
                             ConsoleOutputFn* console);
  void ChangedLocked() {
    ++generation_;
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;
  uint64_t seen_generation_ = 0;
  std::map<std::string, Domain> domains_;
  std::map<std::string, LaunchRequest> launches_;
  std::vector<std::string> calls_;
  std::optional<std::string> fail_next_;
  bool obey_shutdown_ = true;
  DomId next_domid_ = 1;
  ConsoleOutputFn console_;
};

}  // namespace krata::runtime
