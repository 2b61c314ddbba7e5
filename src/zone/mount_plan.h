#pragma once
// The mounts krata-zone makes, as data: the early kernel filesystems, then the workload's
// root (image ro at /image, tmpfs at /overlay, overlayfs at /newroot, PID 1's /dev, /proc and
// /sys bound into it). Building the plan is pure and unit-tested; boot.cc executes it.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "zone/config/launch_config.h"

namespace krata::zone {

inline constexpr std::string_view kImageDevice = "/dev/xvda";
inline constexpr std::string_view kConfigDevice = "/dev/xvdb";
inline constexpr std::string_view kNewRoot = "/newroot";
// tmpfs's own "percent of RAM" size: the writable layer is bounded by default (the original
// left it unbounded, §8), and the same as tmpfs's built-in default so images behave alike.
inline constexpr std::string_view kDefaultOverlaySize = "50%";

struct MountSpec {
  enum class Kind {
    kMount,  // mount(source, target, fstype, flags, data), target created first with mode
    kBind,   // recursive bind of source onto target (created first with mode)
    kMkdir,  // only create target with mode
  };
  Kind kind = Kind::kMount;
  std::string source;
  std::string target;  // absolute in PID 1's root, or relative to kNewRoot if in_new_root
  std::string fstype;
  unsigned long flags = 0;  // MS_* (sys/mount.h)
  std::string data;
  uint32_t mode = 0755;
  bool optional = false;     // failure only warns
  bool in_new_root = false;  // resolve target inside /newroot (the image may hold symlinks)
};

// devtmpfs /dev, proc, sysfs, devpts, /dev/shm, cgroup2, /run.
std::vector<MountSpec> EarlyMounts();
// /dev/fd, /dev/stdin, ... -> /proc/self/fd/... (link target, link path), as docker provides.
std::vector<std::pair<std::string, std::string>> DevSymlinks();
// The workload's root for this config.
std::vector<MountSpec> RootMounts(const LaunchConfig& config);
// "size=..." option of the /overlay tmpfs.
std::string OverlaySizeOption(uint64_t overlay_bytes);
// Targets to unmount at power off, innermost first.
std::vector<std::string> UnmountOrder();

}  // namespace krata::zone
