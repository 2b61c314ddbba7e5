#pragma once
// What the NAT and the gateway see of one attached zone: its addresses, the gateway it uses,
// and a way to send frames to it. Implemented by the switch (stack/switch.h) for real links
// and by tests with a capturing fake.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "net/packet/addr.h"

namespace krata::net {

// The virtual gateway every zone talks to: one MAC and one address per family, shared by all
// zones (as upstream krata), plus the host's own address on the zone network.
struct GatewayConfig {
  Mac mac{};
  IpAddr ip4, ip6;
  Subnet subnet4, subnet6;  // the zone network; destinations outside it are NATed
  // Where DNS queries sent to the gateway's port 53 go (the host's resolv.conf servers,
  // loopback ones like 127.0.0.53 included: kratanet reaches them with host sockets).
  std::vector<Endpoint> dns_upstreams;
  uint16_t mtu = 1500;  // IP MTU of the zone links
};

struct ZoneAddrs {
  std::string name;  // for logs: zone id or interface name
  Mac mac{};
  IpAddr ip4, ip6;
};

class ZonePort {
 public:
  virtual ~ZonePort() = default;
  virtual const ZoneAddrs& zone() const = 0;
  virtual const GatewayConfig& gateway() const = 0;
  // Sends one complete Ethernet frame to the zone. false = the link is congested or gone and
  // the frame was dropped (as a full NIC ring would): TCP recovers by retransmission.
  virtual bool SendToZone(ByteSpan frame) = 0;
};

}  // namespace krata::net
