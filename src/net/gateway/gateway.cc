#include "net/gateway/gateway.h"

#include <vector>

#include "net/packet/build.h"

namespace krata::net {
namespace {

// ICMPv6 types (RFC 4443 4.1/4.2, RFC 4861 4.1-4.5).
constexpr uint8_t kIcmp6EchoRequest = 128;
constexpr uint8_t kIcmp6NeighborSolicit = 135;
constexpr uint8_t kIcmpEchoRequest = 8;  // RFC 792
constexpr uint16_t kArpRequest = 1;      // RFC 826

// 33:33 + the low 32 bits of ff02::1 (RFC 2464 7).
constexpr Mac kAllNodesMac{0x33, 0x33, 0, 0, 0, 1};

// ff02::1:ffXX:XXXX, the solicited-node multicast address of `a` (RFC 4291 2.7.1).
IpAddr SolicitedNode(const IpAddr& a) {
  IpAddr m;
  m.v6 = true;
  m.b = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, a.b[13], a.b[14], a.b[15]};
  return m;
}

bool Configured(const IpAddr& a, bool v6) { return a.v6 == v6 && !a.IsUnspecified(); }

// Echo data is everything after the id and sequence.
ByteSpan EchoData(const IcmpInfo& icmp) {
  return icmp.body.size() >= 4 ? icmp.body.subspan(4) : ByteSpan{};
}

void SendEchoReply(const Frame& f, const IpAddr& gw_ip, const Mac& gw_mac, ZonePort& port) {
  ByteSpan data = EchoData(f.icmp);
  std::vector<uint8_t> out(kEthHeaderBytes + 40 + 8 + data.size());
  size_t n = BuildIcmpEcho(out, L2Addrs{gw_mac, f.src}, gw_ip, f.ip_src, true, f.icmp.id,
                           f.icmp.seq, data);
  // A full link drops the reply as a NIC would; ping retries.
  if (n != 0) (void)port.SendToZone(ByteSpan(reinterpret_cast<std::byte*>(out.data()), n));
}

bool HandleArp(const Frame& f, ZonePort& port) {
  const GatewayConfig& gw = port.gateway();
  if (!Configured(gw.ip4, false) || f.arp.target_ip != gw.ip4) return false;
  // Requests from any sender address but the zone's own (spoofed, or a misconfigured zone)
  // go unanswered: the gateway only talks to the address the zone was given.
  if (f.arp.op != kArpRequest || f.arp.sender_ip != port.zone().ip4) return true;
  uint8_t out[kEthHeaderBytes + 28];
  size_t n = BuildArpReply(out, gw.mac, gw.ip4, f.arp.sender_mac, f.arp.sender_ip);
  if (n != 0) (void)port.SendToZone(ByteSpan(reinterpret_cast<std::byte*>(out), n));
  return true;
}

bool HandleIpv4(const Frame& f, ZonePort& port) {
  const GatewayConfig& gw = port.gateway();
  if (!Configured(gw.ip4, false) || f.ip_dst != gw.ip4 || f.protocol != kProtoIcmp) {
    return false;
  }
  if (!f.fragment && f.l4 == L4::kIcmp && f.icmp.type == kIcmpEchoRequest && f.icmp.code == 0) {
    SendEchoReply(f, gw.ip4, gw.mac, port);
  }
  return true;  // other ICMP to the gateway (and fragments of it) is ignored
}

// RFC 4861 7.2.3/7.2.4: answer a valid solicitation for our address with a solicited
// advertisement to its source, or to all-nodes when the source is unspecified (DAD).
void AnswerSolicitation(const Frame& f, ZonePort& port) {
  const GatewayConfig& gw = port.gateway();
  // RFC 4861 7.1.1: hop limit 255 (the sender is on-link) and code 0.
  if (f.ttl != 255 || f.icmp.code != 0 || f.icmp.nd_target != gw.ip6) return;
  bool dad = f.ip_src.IsUnspecified();
  IpAddr dst = f.ip_src;
  if (dad) dst.b = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};  // all-nodes
  Mac dst_mac = dad ? kAllNodesMac : f.icmp.nd_lladdr.value_or(f.src);
  uint8_t out[kEthHeaderBytes + 40 + 32];
  size_t n = BuildNeighborAdvert(out, L2Addrs{gw.mac, dst_mac}, gw.ip6, dst, gw.ip6, true);
  if (n != 0) (void)port.SendToZone(ByteSpan(reinterpret_cast<std::byte*>(out), n));
}

bool HandleIpv6(const Frame& f, ZonePort& port) {
  const GatewayConfig& gw = port.gateway();
  if (f.protocol != kProtoIcmpv6 || !Configured(gw.ip6, true)) return false;
  if (!f.fragment && f.l4 == L4::kIcmpv6) {
    // Router solicitations: zones are configured statically, so there is nothing to
    // advertise; they are consumed so they go nowhere else.
    if (f.icmp.type == 133) return true;
    if (f.icmp.type == kIcmp6NeighborSolicit) {
      if (f.icmp.nd_target == gw.ip6) {
        if (f.ip_dst == gw.ip6 || f.ip_dst == SolicitedNode(gw.ip6)) AnswerSolicitation(f, port);
        return true;
      }
      // Another address (a zone's, whose solicited-node group may be the gateway's too).
      return f.ip_dst == gw.ip6;
    }
  }
  if (f.ip_dst != gw.ip6 && f.ip_dst != SolicitedNode(gw.ip6)) return false;
  if (!f.fragment && f.l4 == L4::kIcmpv6 && f.icmp.type == kIcmp6EchoRequest && f.icmp.code == 0 &&
      f.ip_dst == gw.ip6) {
    SendEchoReply(f, gw.ip6, gw.mac, port);
  }
  return true;
}

}  // namespace

bool AnswerAsGateway(const Frame& frame, ZonePort& port) {
  switch (frame.l3) {
    case L3::kArp:
      return HandleArp(frame, port);
    case L3::kIpv4:
      return HandleIpv4(frame, port);
    case L3::kIpv6:
      return HandleIpv6(frame, port);
    case L3::kNone:
      break;
  }
  return false;
}

}  // namespace krata::net
