#pragma once
// What kratanet wants attached to its switch: one entry per zone that is running with a
// network, whether it comes from kratad (zone_tracker.h) or from the command line
// (--standalone --zone ...).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "net/packet/addr.h"
#include "net/stack/switch.h"

namespace krata::net::kratanet {

struct DesiredZone {
  std::string id;      // the key: kratad's zone id, or the interface name when standalone
  std::string label;   // for logs: "name (id)" or the interface name
  std::string ifname;  // the host end of the zone's link: vif<domid>.0, or a veth
  ZoneAddrs addrs;     // addrs.name == id: the switch knows the zone by it
  std::vector<PortForward> forwards;
};

// Same link, addresses and forwards (labels may differ).
bool SameAttachment(const DesiredZone& a, const DesiredZone& b);

// "HOSTPORT:ZONEPORT", optionally followed by "/tcp" or "/udp" (kratactl's -p syntax).
Result<PortForward> ParsePortForward(std::string_view text);
std::string ToString(const PortForward& f);  // "8080:80/tcp"
using net::ToString;  // the address overloads, which the one above would hide

// --zone IFNAME,MAC,IP4,IP6[,HOSTPORT:ZONEPORT[/udp]]...: the addresses may carry a /prefix,
// which is ignored (the gateway's prefix defines the subnet).
Result<DesiredZone> ParseZoneSpec(std::string_view text);

// "10.75.0.1/16" -> the address and the subnet it sits in (host bits cleared).
Result<std::pair<IpAddr, Subnet>> ParseAddressInSubnet(std::string_view text);

}  // namespace krata::net::kratanet
