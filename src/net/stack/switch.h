#pragma once
// kratanet's switch: one per kratanet process. Zone links and (optionally) the host's TAP are
// its ports; it parses every frame once and sends it to the right place:
//   - from a zone, anti-spoofing first: the source MAC and source IP must be the zone's own,
//     anything else is dropped;
//   - ARP/NDP/echo for the gateway -> gateway (net/gateway/gateway.h);
//   - TCP/UDP to the gateway's port 53 -> the NAT with an upstream resolver as destination;
//     other TCP/UDP to the gateway -> the NAT (replies of forwarded ports);
//   - IP to a destination outside the zone subnets, sent to the gateway MAC -> TCP/UDP/ICMP NAT;
//   - frames for another zone's or the host's MAC (unicast) -> that port, with the L4
//     checksum completed (offload leaves partial checksums); broadcast/multicast (ARP, NDP)
//     -> every other port and the gateway.
// Port forwards listen on the host (IPv4 and IPv6 wildcard) and relay to the zone.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "net/link/link.h"
#include "net/loop/event_loop.h"
#include "net/nat/icmp_nat.h"
#include "net/nat/udp_nat.h"
#include "net/stack/zone_port.h"
#include "net/tcp/tcp_nat.h"

namespace krata::net {

struct PortForward {
  uint16_t host_port = 0;
  uint16_t zone_port = 0;
  bool udp = false;
};

// The host's own presence on the zone network: a TAP device with these addresses, so the
// host reaches zones at their addresses and zones reach the host at ip4/ip6.
struct HostTap {
  std::string ifname = "krata0";
  Mac mac{};
  IpAddr ip4, ip6;
};

struct SwitchOptions {
  GatewayConfig gateway;
  std::optional<HostTap> host_tap;
  TcpNatOptions tcp;
  UdpNatOptions udp;
  IcmpNatOptions icmp;
};

// frames_in: read from any port; frames_out: sent to any port (forwarded, gateway and NAT
// frames alike); send_dropped: a port's queue was full; kernel_dropped: frames the kernel
// dropped because we did not read fast enough. Dropped on input: malformed (no
// parse), spoofed (source MAC/IP not the zone's), fragments (never NATed), unroutable (no
// rule matched: unknown MAC or ethertype, zone subnet or loopback destination via gateway).
struct SwitchStats {
  uint64_t frames_in = 0, frames_out = 0, malformed = 0, spoofed = 0, fragments = 0, unroutable = 0,
           send_dropped = 0, kernel_dropped = 0;
};

struct SwitchImpl;

class Switch {
 public:
  static Result<std::unique_ptr<Switch>> Create(EventLoop& loop, SwitchOptions options);
  ~Switch();

  // Attaches a zone: `link` is its Ethernet link (OpenPacketLink on vif<domid>.0 or a veth
  // end). Forwards are bound now; a taken host port fails the attach with a clear error.
  Status AttachZone(const ZoneAddrs& zone, std::unique_ptr<Link> link,
                    const std::vector<PortForward>& forwards);
  // Detaches it (flows closed, forwards unbound). No-op for an unknown name.
  void DetachZone(std::string_view name);
  bool HasZone(std::string_view name) const;

  SwitchStats stats() const;
  TcpNatStats tcp_stats() const;

 private:
  using Impl = SwitchImpl;
  explicit Switch(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace krata::net
