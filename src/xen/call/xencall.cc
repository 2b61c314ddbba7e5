#include "xen/call/xencall.h"

#include <cerrno>
#include <cstring>

#include "xen/abi/hypercall.h"
#include "xen/abi/sysctl.h"

namespace krata::xen {

std::string XenVersion::ToString() const {
  return std::to_string(major) + "." + std::to_string(minor) + extra;
}

Result<std::string> XenCall::VersionString(uint64_t cmd, size_t len) {
  HypercallBuffer buf = TRY(privcmd_.AllocBuffer(len));
  TRY(privcmd_.Hypercall(abi::kHypercallXenVersion, {cmd, buf.address(), 0, 0, 0}));
  const char* s = buf.as<const char>();
  return std::string(s, ::strnlen(s, len));  // Xen may fill all len bytes without a NUL
}

Result<XenVersion> XenCall::Version() {
  long v = TRY(privcmd_.Hypercall(abi::kHypercallXenVersion, {abi::kXenVerVersion, 0, 0, 0, 0}));
  XenVersion out;
  out.major = static_cast<uint32_t>(v) >> 16;
  out.minor = static_cast<uint32_t>(v) & 0xffff;
  out.extra = TRY(VersionString(abi::kXenVerExtraversion, abi::kXenExtraversionLen));
  return out;
}

Result<std::string> XenCall::Capabilities() {
  return VersionString(abi::kXenVerCapabilities, abi::kXenCapabilitiesLen);
}

Result<uint32_t> XenCall::SysctlInterfaceVersion() {
  if (sysctl_version_) return *sysctl_version_;
  TRY(Physinfo());  // probes
  return *sysctl_version_;
}

Result<PhysInfo> XenCall::Physinfo() {
  HypercallBuffer buf = TRY(privcmd_.AllocBuffer(sizeof(abi::Sysctl)));
  auto* sysctl = buf.as<abi::Sysctl>();
  auto issue = [&](uint32_t version) -> Result<long> {
    std::memset(sysctl, 0, sizeof(*sysctl));
    sysctl->cmd = abi::kSysctlPhysinfo;
    sysctl->interface_version = version;
    return privcmd_.Hypercall(abi::kHypercallSysctl, {buf.address(), 0, 0, 0, 0});
  };
  if (sysctl_version_) {
    TRY(issue(*sysctl_version_));
  } else {
    bool found = false;
    for (uint32_t version : abi::kSysctlVersions) {
      Result<long> r = issue(version);
      if (r.has_value()) {
        sysctl_version_ = version;
        found = true;
        break;
      }
      if (r.error().errno_value() != EACCES) return std::move(r.error()).With("sysctl physinfo");
    }
    if (!found) {
      return Error::Invalid("sysctl",
                            "this hypervisor speaks none of the sysctl interface "
                            "versions this build knows (0x15, 0x16); unsupported Xen");
    }
  }
  const abi::SysctlPhysinfo& p = sysctl->u.physinfo;
  PhysInfo out;
  out.nr_cpus = p.nr_cpus;
  out.threads_per_core = p.threads_per_core;
  out.cores_per_socket = p.cores_per_socket;
  out.nr_nodes = p.nr_nodes;
  out.cpu_khz = p.cpu_khz;
  out.total_pages = p.total_pages;
  out.free_pages = p.free_pages;
  return out;
}

}  // namespace krata::xen
