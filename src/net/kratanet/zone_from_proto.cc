#include "net/kratanet/zone_from_proto.h"

namespace krata::net::kratanet {

namespace common = v1::common;

namespace {

Result<IpAddr> ParseFamily(const std::string& field, const std::string& text, bool v6) {
  Result<IpAddr> ip = ParseIp(text);
  if (!ip.has_value() || ip->v6 != v6) {
    return Error::Invalid("kratad host status", "bad " + field + " \"" + text + "\"");
  }
  return *ip;
}

Result<Subnet> ParseFamilySubnet(const std::string& field, const std::string& text, bool v6) {
  Result<Subnet> s = ParseSubnet(text);
  if (!s.has_value() || s->base.v6 != v6) {
    return Error::Invalid("kratad host status", "bad " + field + " \"" + text + "\"");
  }
  return *s;
}

}  // namespace

Result<ZoneNetwork> NetworkFromHostStatus(const v1::control::GetHostStatusReply& reply) {
  if (reply.ipv4_subnet().empty() || reply.gateway_mac().empty()) {
    return Error::Invalid("kratad host status",
                          "kratad reports no zone network (is it older than kratanet?)");
  }
  ZoneNetwork n;
  n.gateway.subnet4 = TRY(ParseFamilySubnet("ipv4_subnet", reply.ipv4_subnet(), false));
  n.gateway.subnet6 = TRY(ParseFamilySubnet("ipv6_subnet", reply.ipv6_subnet(), true));
  n.gateway.ip4 = TRY(ParseFamily("gateway_ipv4", reply.gateway_ipv4(), false));
  n.gateway.ip6 = TRY(ParseFamily("gateway_ipv6", reply.gateway_ipv6(), true));
  Result<Mac> mac = ParseMac(reply.gateway_mac());
  if (!mac.has_value()) return Error::Invalid("kratad host status", "bad gateway_mac");
  n.gateway.mac = *mac;
  if (!n.gateway.subnet4.Contains(n.gateway.ip4) || !n.gateway.subnet6.Contains(n.gateway.ip6)) {
    return Error::Invalid("kratad host status", "the gateway is outside the zone subnets");
  }
  if (!reply.host_mac().empty()) {
    HostTap tap;
    Result<Mac> host_mac = ParseMac(reply.host_mac());
    if (!host_mac.has_value()) return Error::Invalid("kratad host status", "bad host_mac");
    tap.mac = *host_mac;
    tap.ip4 = TRY(ParseFamily("host_ipv4", reply.host_ipv4(), false));
    tap.ip6 = TRY(ParseFamily("host_ipv6", reply.host_ipv6(), true));
    n.host_tap = tap;
  }
  return n;
}

std::string VifName(uint32_t domid) { return "vif" + std::to_string(domid) + ".0"; }

Result<std::optional<DesiredZone>> DesiredFromProto(const common::Zone& zone) {
  const common::ZoneStatus& st = zone.status();
  if (st.state() != common::ZONE_STATE_CREATED || st.domid() == 0 || !st.has_network_status() ||
      st.network_status().zone_mac().empty()) {
    return std::optional<DesiredZone>();
  }
  const std::string context = "zone " + zone.id();
  const common::ZoneNetworkStatus& net = st.network_status();
  DesiredZone z;
  z.id = z.addrs.name = zone.id();
  z.label = zone.spec().name().empty() ? zone.id() : zone.spec().name() + " (" + zone.id() + ")";
  z.ifname = VifName(st.domid());
  Result<Mac> mac = ParseMac(net.zone_mac());
  if (!mac.has_value()) return std::move(mac.error()).With(context);
  z.addrs.mac = *mac;
  Result<std::pair<IpAddr, uint8_t>> ip4 = ParseCidr(net.zone_ipv4());
  if (!ip4.has_value() || ip4->first.v6) {
    return Error::Invalid("zone network", "bad zone_ipv4 \"" + net.zone_ipv4() + "\"")
        .With(context);
  }
  Result<std::pair<IpAddr, uint8_t>> ip6 = ParseCidr(net.zone_ipv6());
  if (!ip6.has_value() || !ip6->first.v6) {
    return Error::Invalid("zone network", "bad zone_ipv6 \"" + net.zone_ipv6() + "\"")
        .With(context);
  }
  z.addrs.ip4 = ip4->first;
  z.addrs.ip6 = ip6->first;
  for (const common::ZonePortForward& p : zone.spec().ports()) {
    if (p.host_port() == 0 || p.host_port() > 65535 || p.zone_port() == 0 ||
        p.zone_port() > 65535) {
      return Error::Invalid("zone network", "bad port forward " + std::to_string(p.host_port()) +
                                                ":" + std::to_string(p.zone_port()))
          .With(context);
    }
    z.forwards.push_back(PortForward{static_cast<uint16_t>(p.host_port()),
                                     static_cast<uint16_t>(p.zone_port()),
                                     p.protocol() == common::PORT_PROTOCOL_UDP});
  }
  return std::optional<DesiredZone>(std::move(z));
}

}  // namespace krata::net::kratanet
