#pragma once
// `kratactl host status`: facts about the Xen host. Until kratad exists this queries the
// hypervisor and xenstored directly, so it must run in dom0 as root.

#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "xen/call/xencall.h"
#include "xen/store/client.h"

namespace krata::ctl {

struct HostStatus {
  xen::XenVersion version;
  xen::PhysInfo phys;
  uint32_t sysctl_interface = 0;
  std::string dom0_name;
};

Result<HostStatus> QueryHostStatus(xen::XenCall& xc, xen::store::XsClient& xs);
std::string FormatHostStatusText(const HostStatus& s);
std::string FormatHostStatusJson(const HostStatus& s);
nlohmann::json HostStatusJson(const HostStatus& s);  // what FormatHostStatusJson prints

}  // namespace krata::ctl
