#include "zone/mount_plan.h"

#include <sys/mount.h>

namespace krata::zone {

using Kind = MountSpec::Kind;

std::vector<MountSpec> EarlyMounts() {
  constexpr unsigned long kKernelFs = MS_NOSUID | MS_NOEXEC | MS_NODEV;
  return {
      {Kind::kMount, "devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755", 0755},
      {Kind::kMount, "proc", "/proc", "proc", kKernelFs, "", 0555},
      {Kind::kMount, "sysfs", "/sys", "sysfs", kKernelFs, "", 0555},
      // gid 5 is "tty" in Debian-like images, as docker mounts it.
      {Kind::kMount, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
       "gid=5,mode=0620,ptmxmode=0666", 0755},
      {Kind::kMount, "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=65536k",
       01777, /*optional=*/true},
      {Kind::kMount, "cgroup2", "/sys/fs/cgroup", "cgroup2", kKernelFs | MS_RELATIME, "", 0555,
       /*optional=*/true},
      {Kind::kMount, "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m", 0755},
  };
}

std::vector<std::pair<std::string, std::string>> DevSymlinks() {
  return {{"/proc/self/fd", "/dev/fd"},
          {"/proc/self/fd/0", "/dev/stdin"},
          {"/proc/self/fd/1", "/dev/stdout"},
          {"/proc/self/fd/2", "/dev/stderr"}};
}

std::string OverlaySizeOption(uint64_t overlay_bytes) {
  if (overlay_bytes == 0) return "size=" + std::string(kDefaultOverlaySize);
  return "size=" + std::to_string(overlay_bytes);
}

std::vector<MountSpec> RootMounts(const LaunchConfig& config) {
  std::vector<MountSpec> plan = {
      {Kind::kMount, std::string(kImageDevice), "/image",
       std::string(RootFormatName(config.root_format)), MS_RDONLY, "", 0755},
      {Kind::kMount, "overlay-upper", "/overlay", "tmpfs", 0,
       "mode=0755," + OverlaySizeOption(config.overlay_bytes), 0755},
      {Kind::kMkdir, "", "/overlay/upper", "", 0, "", 0755},
      {Kind::kMkdir, "", "/overlay/work", "", 0, "", 0755},
      {Kind::kMount, "overlay", std::string(kNewRoot), "overlay", 0,
       "lowerdir=/image,upperdir=/overlay/upper,workdir=/overlay/work", 0755},
  };
  // PID 1 keeps its own; the workload sees the same instances (bind, not move).
  for (const char* d : {"dev", "proc", "sys"}) {
    MountSpec bind;
    bind.kind = Kind::kBind;
    bind.source = std::string("/") + d;
    bind.target = d;
    bind.mode = std::string_view(d) == "dev" ? 0755 : 0555;
    bind.in_new_root = true;
    plan.push_back(bind);
  }
  return plan;
}

std::vector<std::string> UnmountOrder() {
  return {"/newroot/sys", "/newroot/proc", "/newroot/dev", "/newroot", "/overlay", "/image"};
}

}  // namespace krata::zone
