#include "zone/network.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>

#include <string>
#include <utility>

#include "base/file.h"
#include "net/netlink/rtnl.h"
#include "net/packet/addr.h"

namespace krata::zone {
namespace {

constexpr std::string_view kEth = "eth0";

// Adds one family's address and default route. The config was checked by FromJson, but the
// text is parsed again here rather than trusted.
Status SetupFamily(const std::string& cidr, const std::string& gateway) {
  if (cidr.empty()) return {};
  auto [ip, prefix] = TRY(net::ParseCidr(cidr));
  net::IpAddr gw = TRY(net::ParseIp(gateway));
  TRY(net::rtnl::AddAddress(kEth, ip, prefix));
  TRY(net::rtnl::AddDefaultRoute(kEth, gw));
  spdlog::info("eth0: {} via {}", cidr, gateway);
  return {};
}

}  // namespace

Status SetupLoopback() { return net::rtnl::SetLinkUp("lo"); }

Status AllowUnprivilegedPing() {
  // Every gid may open ICMP echo sockets (what Docker and systemd set by default): images
  // whose User is not root can ping, and kratanet turns those echoes into host pings.
  UniqueFd fd = TRY(OpenFile("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC));
  return WriteAll(fd.get(), "0 2147483647");
}

Status SetupNetwork(const NetworkConfig& network, std::chrono::milliseconds wait) {
  // xen-netfront probes the vif asynchronously after its module loads.
  TRY(net::rtnl::WaitForLink(kEth, wait));
  if (network.mtu > UINT16_MAX) return Error::Invalid("eth0", "MTU too large");
  TRY(net::rtnl::SetLinkUp(kEth, static_cast<uint16_t>(network.mtu)));
  Status first;
  auto keep = [&first](Status s) {
    if (!s.has_value() && first.has_value()) first = std::move(s);
  };
  keep(net::rtnl::DisableSegmentationOffload(kEth));
  keep(SetupFamily(network.ipv4, network.gateway4));
  keep(SetupFamily(network.ipv6, network.gateway6));
  return first;
}

}  // namespace krata::zone
