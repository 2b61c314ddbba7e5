// The switch rules (switch.h) applied to each frame read from a port.

#include <algorithm>

#include "base/log.h"
#include "net/gateway/gateway.h"
#include "net/packet/frame.h"
#include "net/stack/switch_impl.h"

namespace krata::net {
namespace {

bool IsGroup(const Mac& m) { return (m[0] & 1) != 0; }  // IEEE 802: I/G bit

bool IsLinkLocal6(const IpAddr& a) { return a.v6 && a.b[0] == 0xfe && (a.b[1] & 0xc0) == 0x80; }

// Destinations a zone may reach through the NAT: not the host's loopback (the host's local
// services are not the zone's business; DNS reaches a loopback resolver only through the
// DNS rule), not link-local, multicast or unspecified, and no IPv4-mapped or -compatible
// IPv6 address (those would reach IPv4 loopback through an IPv6 socket).
bool NatDestination(const IpAddr& a) {
  if (a.IsUnspecified() || a.IsMulticast()) return false;
  if (!a.v6) {
    if (a.b[0] == 127 || a.b[0] == 0) return false;
    return !(a.b[0] == 169 && a.b[1] == 254);
  }
  if (IsLinkLocal6(a)) return false;
  // ::/96 (::1 and IPv4-compatible) and ::ffff:0:0/96 (IPv4-mapped).
  bool zero80 = std::all_of(a.b.begin(), a.b.begin() + 10, [](uint8_t x) { return x == 0; });
  if (zero80 && ((a.b[10] == 0 && a.b[11] == 0) || (a.b[10] == 0xff && a.b[11] == 0xff))) {
    return false;
  }
  return true;
}

// Anti-spoofing for frames from a zone: its own IP address, or for IPv6 also link-local and
// unspecified sources (NDP and DAD use them). The MAC was checked before.
bool SourceAllowed(const ZoneAddrs& z, const Frame& f) {
  switch (f.l3) {
    case L3::kArp:
      return !z.ip4.IsUnspecified() && f.arp.sender_mac == z.mac && f.arp.sender_ip == z.ip4;
    case L3::kIpv4:
      return !z.ip4.IsUnspecified() && f.ip_src == z.ip4;
    case L3::kIpv6:
      return (!z.ip6.IsUnspecified() && f.ip_src == z.ip6) || IsLinkLocal6(f.ip_src) ||
             f.ip_src.IsUnspecified();
    case L3::kNone:
      break;
  }
  return false;
}

std::optional<Endpoint> DnsUpstream(const GatewayConfig& gw, bool v6) {
  for (const Endpoint& e : gw.dns_upstreams) {
    if (e.ip.v6 == v6) return e;
  }
  if (!gw.dns_upstreams.empty()) return gw.dns_upstreams.front();
  return std::nullopt;
}

}  // namespace

void SwitchImpl::OnReadable(SwitchPort& in) {
  for (size_t round = 0; round < kBatchesPerWakeup; ++round) {
    Result<size_t> n = in.link().ReceiveBatch(rx_bufs, rx_lens);
    if (!n.has_value()) {
      // One-shot socket errors (ENETDOWN when a vif goes away); the next read continues.
      if (receive_errors++ % 1000 == 0) {
        spdlog::warn("{}: {}", in.zone().name, n.error().ToString());
      }
      return;
    }
    for (size_t i = 0; i < *n; ++i) HandleFrame(in, rx_bufs[i].first(rx_lens[i]));
    if (*n < kBatch) return;
  }
  // More frames may be waiting: level-triggered epoll calls us again after other ports.
}

void SwitchImpl::HandleFrame(SwitchPort& in, std::span<uint8_t> buf) {
  ++stats.frames_in;
  Result<Frame> parsed = ParseFrame(std::as_bytes(buf));
  if (!parsed.has_value()) {
    ++stats.malformed;
    return;
  }
  const Frame& f = *parsed;
  const ZoneAddrs& z = in.zone();
  if (f.src != z.mac) {
    ++stats.spoofed;
    return;
  }
  if (f.l3 == L3::kNone) {  // unknown ethertypes and VLAN tags: nothing here speaks them
    ++stats.unroutable;
    return;
  }
  // The host's kernel is trusted with its own addresses; zones are not.
  if (!in.is_host() && !SourceAllowed(z, f)) {
    ++stats.spoofed;
    return;
  }
  if (f.fragment) ++stats.fragments;

  if (IsGroup(f.dst)) {
    if (!AnswerAsGateway(f, in)) Flood(in, buf);
    return;
  }
  if (f.dst == options.gateway.mac) {
    ToGateway(in, f);
    return;
  }
  auto it = by_mac.find(f.dst);
  if (it == by_mac.end() || it->second == &in) {
    ++stats.unroutable;
    return;
  }
  // Offload leaves the L4 checksum partial in frames from a vif/veth; the receiving zone's
  // kernel would drop them. Not TCP/UDP/ICMPv6 (or a fragment): sent unchanged.
  FixL4Checksum(buf);
  it->second->SendToZone(std::as_bytes(buf));
}

void SwitchImpl::Flood(SwitchPort& in, std::span<uint8_t> buf) {
  FixL4Checksum(buf);
  for (auto& [name, port] : zones) {
    if (port.get() != &in) port->SendToZone(std::as_bytes(buf));
  }
  if (host && host.get() != &in) host->SendToZone(std::as_bytes(buf));
}

void SwitchImpl::ToGateway(SwitchPort& in, const Frame& f) {
  if (AnswerAsGateway(f, in)) return;
  // The host reaches the outside itself; only zones are NATed.
  if (in.is_host() || (f.l3 != L3::kIpv4 && f.l3 != L3::kIpv6) || f.fragment) {
    if (!f.fragment) ++stats.unroutable;
    return;
  }
  const ZoneAddrs& z = in.zone();
  const GatewayConfig& gw = options.gateway;
  bool v6 = f.l3 == L3::kIpv6;
  // Link-local and unspecified sources passed anti-spoofing for NDP; flows need the zone's
  // own address (replies go back to it).
  if (f.ip_src != (v6 ? z.ip6 : z.ip4)) {
    ++stats.spoofed;
    return;
  }
  if (f.ip_dst == (v6 ? gw.ip6 : gw.ip4)) {
    // The gateway's own ports: DNS goes to an upstream resolver; anything else can only be
    // a zone's reply on a forwarded port (or is refused by the NAT).
    std::optional<Endpoint> upstream;
    if ((f.l4 == L4::kTcp && f.tcp.dst_port == 53) || (f.l4 == L4::kUdp && f.udp.dst_port == 53)) {
      upstream = DnsUpstream(gw, v6);
    }
    if (f.l4 == L4::kTcp) {
      tcp.FromZone(in, f, upstream);
    } else if (f.l4 == L4::kUdp) {
      udp.FromZone(in, f, upstream);
    } else {
      ++stats.unroutable;
    }
    return;
  }
  if ((v6 ? gw.subnet6 : gw.subnet4).Contains(f.ip_dst) || !NatDestination(f.ip_dst)) {
    ++stats.unroutable;
    return;
  }
  switch (f.l4) {
    case L4::kTcp:
      tcp.FromZone(in, f, Endpoint{f.ip_dst, f.tcp.dst_port});
      return;
    case L4::kUdp:
      udp.FromZone(in, f, Endpoint{f.ip_dst, f.udp.dst_port});
      return;
    case L4::kIcmp:
    case L4::kIcmpv6:
      icmp.FromZone(in, f);
      return;
    case L4::kNone:
    case L4::kOther:
      break;
  }
  ++stats.unroutable;
}

}  // namespace krata::net
