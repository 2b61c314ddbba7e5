#pragma once
// The boot steps of krata-zone as PID 1, in the order main.cc runs them. They touch the real
// system (mount, finit_module, block devices) and are proven in the lab, not in unit tests;
// the decisions they make come from the pure, tested files (mount_plan, module_order,
// etc_files, user, process_spec).

#include <chrono>
#include <string>
#include <vector>

#include "base/result.h"
#include "zone/config/launch_config.h"

namespace krata::zone {

// Makes sure fds 0..2 exist (the kernel leaves them closed when the initramfs has no
// /dev/console), so nothing we open later lands on them by accident.
void ReserveStdFds();

// Mounts EarlyMounts(), opens /dev/console as 0/1/2, adds the /dev symlinks.
Status EarlySetup();

// Loads /lib/modules/krata-load-order with finit_module; EEXIST counts as loaded. A missing
// list only warns (drivers may be built in); a failing required module is an Error.
Status LoadModules();

// Returns once every path exists, woken by inotify on their directory; Error (naming the
// missing ones) after timeout.
Status WaitForDevices(const std::vector<std::string>& paths, std::chrono::milliseconds timeout);

// Reads and decodes the framed launch config from the raw device (never more than
// kConfigHeaderBytes + kMaxConfigJson bytes).
Result<LaunchConfig> ReadLaunchConfig(const std::string& device);

// Executes RootMounts(config).
Status MountRoot(const LaunchConfig& config);

// sethostname, /etc/hostname, /etc/hosts, /etc/resolv.conf (when nameservers are given) in
// the new root. Problems only warn: a zone without a hostname still runs its workload.
void PrepareEtc(const LaunchConfig& config);

// /dev/<active console> for the workload's controlling tty, else /dev/console.
std::string ConsoleTtyPath();

}  // namespace krata::zone
