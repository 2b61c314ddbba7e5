#pragma once
// The workload: resolved from the launch config and the image's /etc files (PrepareWorkload,
// in PID 1), then started in a child that becomes a session leader on the console, enters
// /newroot and drops to the image's user (SpawnWorkload). PID 1 itself never chroots: the
// kernel runs /sbin/poweroff relative to init's root (drivers/xen/manage.c ->
// orderly_poweroff), and that must be the initramfs's.

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "zone/config/launch_config.h"
#include "zone/user.h"

namespace krata::zone {

struct WorkloadSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string working_dir;
  Credentials creds;
  std::string console;  // tty to open as 0/1/2 and make the controlling terminal
};

// Reads /newroot/etc/passwd and /etc/group (inside the new root, bounded), resolves user,
// argv, env and working directory. Errors are init failures (exit code 127).
Result<WorkloadSpec> PrepareWorkload(const LaunchConfig& config, const std::string& console);

// Forks the workload. The child: default signal dispositions and an empty mask, setsid,
// console as 0/1/2 and controlling tty, chroot /newroot, mkdir -p + chdir working dir,
// setgroups/setgid/setuid, PATH lookup with the workload's env, execve. It prints why and
// exits 127 (126: not executable) if any step fails, as a shell would.
Result<pid_t> SpawnWorkload(const WorkloadSpec& spec);

}  // namespace krata::zone
