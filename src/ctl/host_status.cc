#include "ctl/host_status.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace krata::ctl {

Result<HostStatus> QueryHostStatus(xen::XenCall& xc, xen::store::XsClient& xs) {
  HostStatus s;
  s.version = TRY(xc.Version());
  s.phys = TRY(xc.Physinfo());
  s.sysctl_interface = TRY(xc.SysctlInterfaceVersion());
  s.dom0_name = TRY(xs.Read("/local/domain/0/name"));
  return s;
}

std::string FormatHostStatusText(const HostStatus& s) {
  constexpr uint64_t kMiB = 1 << 20;
  return fmt::format(
      "Xen version:      {}\n"
      "Physical CPUs:    {}\n"
      "Memory total:     {} MiB\n"
      "Memory free:      {} MiB\n"
      "Host domain:      {} (domid 0)\n"
      "Sysctl interface: {:#x}\n",
      s.version.ToString(), s.phys.nr_cpus, s.phys.TotalBytes() / kMiB, s.phys.FreeBytes() / kMiB,
      s.dom0_name, s.sysctl_interface);
}

std::string FormatHostStatusJson(const HostStatus& s) { return HostStatusJson(s).dump() + "\n"; }

nlohmann::json HostStatusJson(const HostStatus& s) {
  return {
      {"xen_version", s.version.ToString()},
      {"xen_major", s.version.major},
      {"xen_minor", s.version.minor},
      {"nr_cpus", s.phys.nr_cpus},
      {"total_memory_bytes", s.phys.TotalBytes()},
      {"free_memory_bytes", s.phys.FreeBytes()},
      {"host_domain_name", s.dom0_name},
      {"sysctl_interface_version", s.sysctl_interface},
  };
}

}  // namespace krata::ctl
