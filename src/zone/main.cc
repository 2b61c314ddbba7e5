// krata-zone: PID 1 of every krata zone (see README.md in this directory). Boots the guest
// from the initramfs, runs the image's process in an overlay root, reports its exit to
// xenstore and powers the domain off. Invoked as "poweroff" (the initramfs's /sbin/poweroff
// symlink), it forwards the host's shutdown request to PID 1 instead.

#include <spdlog/sinks/stdout_sinks.h>
#include <sys/reboot.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string_view>

#include "base/log.h"
#include "zone/boot.h"
#include "zone/mount_plan.h"
#include "zone/network.h"
#include "zone/supervisor.h"
#include "zone/workload.h"

namespace krata::zone {
namespace {

constexpr std::chrono::seconds kDeviceTimeout{20};
constexpr std::chrono::seconds kReportTimeout{10};
constexpr std::chrono::seconds kNetworkTimeout{10};

// Console logging, "krata-zone: " prefixed; warnings and errors unless KRATA_LOG says
// otherwise (the kernel passes unknown KEY=VALUE command line words to init's environment).
void InitConsoleLogging() {
  auto logger = spdlog::stderr_logger_st("krata-zone");
  logger->set_pattern("krata-zone: %l: %v");
  spdlog::set_default_logger(logger);
  const char* env = std::getenv("KRATA_LOG");
  spdlog::set_level(spdlog::level::from_str(env != nullptr ? env : "warn"));
}

Result<ExitReport> BootAndRun(Supervisor& sup) {
  TRY(LoadModules());
  TRY(WaitForDevices({std::string(kImageDevice), std::string(kConfigDevice)}, kDeviceTimeout));
  LaunchConfig config = TRY(ReadLaunchConfig(std::string(kConfigDevice)));
  TRY(MountRoot(config));
  PrepareEtc(config);
  // Network problems are reported on the console; the workload runs regardless (it may not
  // need the network, and its own errors then say more).
  Status lo = SetupLoopback();
  if (!lo.has_value()) spdlog::error("lo: {}", lo.error().ToString());
  Status ping = AllowUnprivilegedPing();
  if (!ping.has_value()) spdlog::error("ping_group_range: {}", ping.error().ToString());
  if (config.network) {
    Status net = SetupNetwork(*config.network, kNetworkTimeout);
    if (!net.has_value()) spdlog::error("network: {}", net.error().ToString());
  }
  WorkloadSpec spec = TRY(PrepareWorkload(config, ConsoleTtyPath()));
  pid_t pid = TRY(SpawnWorkload(spec));
  spdlog::info("workload {} started as pid {}", spec.argv[0], pid);
  return sup.RunWorkload(pid, std::chrono::milliseconds(config.shutdown_grace_ms));
}

[[noreturn]] void Pid1Main() {
  ReserveStdFds();
  InitConsoleLogging();
  Result<Supervisor> sup = Supervisor::Install();
  if (!sup.has_value()) {
    // Without signals we can neither reap nor report: stop the domain rather than hang it.
    spdlog::critical("{}", sup.error().ToString());
    sync();
    reboot(RB_POWER_OFF);
    for (;;) pause();  // never exit PID 1
  }
  Status early = EarlySetup();
  ExitReport exit{kInitFailureCode, 0};
  if (early.has_value()) {
    Result<ExitReport> ran = BootAndRun(*sup);
    if (ran.has_value()) {
      exit = *ran;
    } else {
      spdlog::error("{}", ran.error().ToString());
    }
  } else {
    spdlog::error("{}", early.error().ToString());
  }
  if (exit.signal != 0) {
    spdlog::info("workload killed by signal {}", exit.signal);
  } else {
    spdlog::info("workload exited with code {}", exit.code);
  }
  sup->Report(exit, kReportTimeout);
  sup->PowerOff();
}

}  // namespace
}  // namespace krata::zone

int main(int argc, char** argv) {
  std::string_view self = argc > 0 ? argv[0] : "";
  std::string_view base = self.substr(self.rfind('/') + 1);
  if (base == "poweroff") return krata::zone::PoweroffHelperMain();
  if (getpid() != 1) {
    std::fprintf(stderr, "krata-zone: must run as PID 1 (the zone initramfs's /init)\n");
    return 2;
  }
  krata::zone::Pid1Main();
}
