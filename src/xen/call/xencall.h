#pragma once
// XenCall: typed hypercalls over a Privcmd. Probes the sysctl interface version on first
// use (Xen refuses a sysctl whose interface_version differs from its own with EACCES).
// Operations on domains (domctl, memory_op, event channels, mappings) are in
// DomainControl (domain_control.h).

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "xen/call/privcmd.h"

namespace krata::xen {

struct XenVersion {
  uint32_t major = 0;
  uint32_t minor = 0;
  std::string extra;  // e.g. ".7+13-g2445b30a44-0+deb12u1" style suffix, as Xen reports it
  std::string ToString() const;  // "4.17" + extra
};

struct PhysInfo {
  uint32_t nr_cpus = 0;  // online physical CPUs
  uint32_t threads_per_core = 0;
  uint32_t cores_per_socket = 0;
  uint32_t nr_nodes = 0;
  uint32_t cpu_khz = 0;
  uint64_t total_pages = 0;  // 4 KiB pages
  uint64_t free_pages = 0;
  uint64_t TotalBytes() const { return total_pages * 4096; }
  uint64_t FreeBytes() const { return free_pages * 4096; }
};

class XenCall {
 public:
  explicit XenCall(Privcmd& privcmd) : privcmd_(privcmd) {}

  Result<XenVersion> Version();
  // XENVER_capabilities, e.g. "xen-3.0-x86_64 hvm-3.0-x86_32 ...".
  Result<std::string> Capabilities();
  Result<PhysInfo> Physinfo();
  // The sysctl interface version this hypervisor accepted (probed on first use).
  Result<uint32_t> SysctlInterfaceVersion();

  Privcmd& privcmd() { return privcmd_; }

 private:
  Result<std::string> VersionString(uint64_t cmd, size_t len);
  Privcmd& privcmd_;
  std::optional<uint32_t> sysctl_version_;
};

}  // namespace krata::xen
