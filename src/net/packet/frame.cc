#include "net/packet/frame.h"

#include <algorithm>
#include <cstring>

namespace krata::net {
namespace {

constexpr std::string_view kOp = "parse frame";

// Every read goes through a View that has checked its size first: the parser never forms a
// pointer past the end of the buffer (fuzzed with ASan by net_frame_fuzzer).
struct View {
  ByteSpan s;

  size_t Size() const { return s.size(); }
  const uint8_t* Ptr(size_t off) const { return reinterpret_cast<const uint8_t*>(s.data()) + off; }
  uint8_t U8(size_t off) const { return *Ptr(off); }
  uint16_t U16(size_t off) const { return static_cast<uint16_t>(U8(off) << 8 | U8(off + 1)); }
  uint32_t U32(size_t off) const {
    return static_cast<uint32_t>(U16(off)) << 16 | static_cast<uint32_t>(U16(off + 2));
  }
  Mac MacAt(size_t off) const {
    Mac m;
    std::memcpy(m.data(), Ptr(off), 6);
    return m;
  }
  View Sub(size_t off, size_t len) const { return View{s.subspan(off, len)}; }
  View From(size_t off) const { return View{s.subspan(off)}; }
};

Error Bad(const char* what) { return Error::Invalid(kOp, what); }

// ARP for Ethernet/IPv4 (RFC 826): htype 1, ptype 0x0800, hlen 6, plen 4.
constexpr size_t kArpBytes = 28;

Status ParseArp(View v, Frame& f) {
  if (v.Size() < kArpBytes) return Bad("truncated ARP");
  if (v.U16(0) != 1 || v.U16(2) != kEtherTypeIpv4 || v.U8(4) != 6 || v.U8(5) != 4) {
    return {};  // another hardware/protocol pair: not ours, l3 stays kNone
  }
  f.l3 = L3::kArp;
  f.arp.op = v.U16(6);
  f.arp.sender_mac = v.MacAt(8);
  f.arp.sender_ip = IpAddr::V4Bytes(v.Ptr(14));
  f.arp.target_mac = v.MacAt(18);
  f.arp.target_ip = IpAddr::V4Bytes(v.Ptr(24));
  return {};
}

// TCP header (RFC 9293 3.1) and its options (3.2): MSS (kind 2, length 4), window scale
// (RFC 7323: kind 3, length 3) and SACK permitted (RFC 2018: kind 4, length 2).
Status ParseTcp(View v, Frame& f) {
  if (v.Size() < 20) return Bad("truncated TCP header");
  TcpInfo& t = f.tcp;
  t.src_port = v.U16(0);
  t.dst_port = v.U16(2);
  t.seq = v.U32(4);
  t.ack = v.U32(8);
  size_t header = static_cast<size_t>(v.U8(12) >> 4) * 4;
  if (header < 20 || header > v.Size()) return Bad("bad TCP data offset");
  t.flags = v.U8(13);
  t.window = v.U16(14);
  View opts = v.Sub(20, header - 20);
  size_t i = 0;
  while (i < opts.Size()) {
    uint8_t kind = opts.U8(i);
    if (kind == 0) break;  // end of option list
    if (kind == 1) {       // no-operation
      ++i;
      continue;
    }
    if (opts.Size() - i < 2) return Bad("truncated TCP option");
    size_t len = opts.U8(i + 1);
    if (len < 2 || len > opts.Size() - i) return Bad("bad TCP option length");
    // A known kind with the wrong length is skipped, as Linux does (tcp_parse_options).
    if (kind == 2 && len == 4) {
      t.mss = opts.U16(i + 2);
    } else if (kind == 3 && len == 3) {
      // RFC 7323 2.3: a shift above 14 is used as 14.
      t.wscale = std::min<uint8_t>(opts.U8(i + 2), 14);
    } else if (kind == 4 && len == 2) {
      t.sack_permitted = true;
    }
    i += len;
  }
  t.payload = v.From(header).s;
  f.l4 = L4::kTcp;
  f.l4_segment = v.s;
  return {};
}

// UDP (RFC 768): the length field bounds the datagram; bytes after it are ignored.
Status ParseUdp(View v, Frame& f) {
  if (v.Size() < 8) return Bad("truncated UDP header");
  size_t len = v.U16(4);
  if (len < 8 || len > v.Size()) return Bad("bad UDP length");
  f.udp.src_port = v.U16(0);
  f.udp.dst_port = v.U16(2);
  f.udp.payload = v.Sub(8, len - 8).s;
  f.l4 = L4::kUdp;
  f.l4_segment = v.Sub(0, len).s;
  return {};
}

// NDP options after the fixed part of an NS/NA (RFC 4861 4.6): type, length in units of
// 8 bytes (0 is invalid), data. Picks the link-layer address option of `want_type`
// (1 source, 2 target).
Status ParseNdOptions(View opts, uint8_t want_type, IcmpInfo& icmp) {
  size_t i = 0;
  while (i < opts.Size()) {
    if (opts.Size() - i < 2) return Bad("truncated NDP option");
    size_t len = static_cast<size_t>(opts.U8(i + 1)) * 8;
    if (len == 0 || len > opts.Size() - i) return Bad("bad NDP option length");
    if (opts.U8(i) == want_type && !icmp.nd_lladdr) icmp.nd_lladdr = opts.MacAt(i + 2);
    i += len;
  }
  return {};
}

// ICMP (RFC 792) and ICMPv6 (RFC 4443): 4-byte header; echo adds id and sequence; NDP
// neighbour solicitation/advertisement (RFC 4861 4.3, 4.4) add 4 bytes and a target address.
Status ParseIcmp(View v, Frame& f, bool v6) {
  if (v.Size() < 4) return Bad("truncated ICMP header");
  IcmpInfo& icmp = f.icmp;
  icmp.type = v.U8(0);
  icmp.code = v.U8(1);
  icmp.body = v.From(4).s;
  bool echo = v6 ? (icmp.type == 128 || icmp.type == 129) : (icmp.type == 0 || icmp.type == 8);
  if (echo) {
    if (v.Size() < 8) return Bad("truncated ICMP echo");
    icmp.id = v.U16(4);
    icmp.seq = v.U16(6);
  }
  if (v6 && (icmp.type == 135 || icmp.type == 136)) {
    if (v.Size() < 24) return Bad("truncated NDP message");
    icmp.nd_target = IpAddr::V6Bytes(v.Ptr(8));
    TRY(ParseNdOptions(v.From(24), icmp.type == 135 ? 1 : 2, icmp));
  }
  f.l4 = v6 ? L4::kIcmpv6 : L4::kIcmp;
  f.l4_segment = v.s;
  return {};
}

Status ParseL4(View v, Frame& f) {
  switch (f.protocol) {
    case kProtoTcp:
      return ParseTcp(v, f);
    case kProtoUdp:
      return ParseUdp(v, f);
    case kProtoIcmp:
      if (f.l3 == L3::kIpv4) return ParseIcmp(v, f, false);
      break;
    case kProtoIcmpv6:
      if (f.l3 == L3::kIpv6) return ParseIcmp(v, f, true);
      break;
    default:
      break;
  }
  f.l4 = L4::kOther;
  f.l4_segment = v.s;
  return {};
}

// IPv4 (RFC 791 3.1). Options are skipped; the total length bounds the packet, so Ethernet
// padding of short frames is not taken as payload.
Status ParseIpv4(View v, Frame& f) {
  if (v.Size() < 20) return Bad("truncated IPv4 header");
  if (v.U8(0) >> 4 != 4) return Bad("IPv4 version mismatch");
  size_t header = static_cast<size_t>(v.U8(0) & 0x0f) * 4;
  size_t total = v.U16(2);
  if (header < 20) return Bad("bad IPv4 header length");
  if (total < header || total > v.Size()) return Bad("bad IPv4 total length");
  f.l3 = L3::kIpv4;
  f.ttl = v.U8(8);
  f.protocol = v.U8(9);
  f.ip_src = IpAddr::V4Bytes(v.Ptr(12));
  f.ip_dst = IpAddr::V4Bytes(v.Ptr(16));
  f.ip_packet = v.Sub(0, total).s;
  uint16_t frag = v.U16(6);
  if ((frag & 0x2000) != 0 || (frag & 0x1fff) != 0) {  // more fragments, or an offset
    f.fragment = true;
    return {};
  }
  return ParseL4(v.Sub(header, total - header), f);
}

// IPv6 (RFC 8200 3, 4). Hop-by-hop (0), routing (43) and destination options (60) headers
// are skipped by their length field; a fragment header (44) ends the walk.
constexpr int kMaxExtensionHeaders = 8;

Status ParseIpv6(View v, Frame& f) {
  if (v.Size() < 40) return Bad("truncated IPv6 header");
  if (v.U8(0) >> 4 != 6) return Bad("IPv6 version mismatch");
  size_t total = 40 + static_cast<size_t>(v.U16(4));
  if (total > v.Size()) return Bad("bad IPv6 payload length");
  f.l3 = L3::kIpv6;
  f.ttl = v.U8(7);
  f.ip_src = IpAddr::V6Bytes(v.Ptr(8));
  f.ip_dst = IpAddr::V6Bytes(v.Ptr(24));
  f.ip_packet = v.Sub(0, total).s;
  View pkt = v.Sub(0, total);
  uint8_t next = v.U8(6);
  size_t off = 40;
  for (int n = 0;; ++n) {
    if (next != 0 && next != 43 && next != 60 && next != 44) break;
    if (n == kMaxExtensionHeaders) return Bad("too many IPv6 extension headers");
    if (pkt.Size() - off < 8) return Bad("truncated IPv6 extension header");
    if (next == 44) {
      f.fragment = true;
      f.protocol = pkt.U8(off);
      return {};
    }
    size_t len = (static_cast<size_t>(pkt.U8(off + 1)) + 1) * 8;
    if (len > pkt.Size() - off) return Bad("bad IPv6 extension header length");
    next = pkt.U8(off);
    off += len;
  }
  f.protocol = next;
  return ParseL4(pkt.From(off), f);
}

}  // namespace

Result<Frame> ParseFrame(ByteSpan frame) {
  View v{frame};
  if (v.Size() < kEthHeaderBytes) return Bad("truncated Ethernet header");
  Frame f;
  f.dst = v.MacAt(0);
  f.src = v.MacAt(6);
  f.ethertype = v.U16(12);
  View l3 = v.From(kEthHeaderBytes);
  switch (f.ethertype) {
    case kEtherTypeArp:
      TRY(ParseArp(l3, f));
      break;
    case kEtherTypeIpv4:
      TRY(ParseIpv4(l3, f));
      break;
    case kEtherTypeIpv6:
      TRY(ParseIpv6(l3, f));
      break;
    default:
      break;  // VLAN tags and other ethertypes: l3 kNone
  }
  return f;
}

}  // namespace krata::net
