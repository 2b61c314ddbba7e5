#include "net/packet/build.h"

#include <algorithm>
#include <cstring>

namespace krata::net {
namespace {

constexpr uint8_t kTtl = 64;
// RFC 4861 7.1.2: NDP messages are sent and accepted with hop limit 255 only.
constexpr uint8_t kNdpHopLimit = 255;

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void Put32(uint8_t* p, uint32_t v) {
  Put16(p, static_cast<uint16_t>(v >> 16));
  Put16(p + 2, static_cast<uint16_t>(v));
}

ByteSpan Bytes(const uint8_t* p, size_t n) { return {reinterpret_cast<const std::byte*>(p), n}; }

void PutEth(uint8_t* p, const L2Addrs& l2, uint16_t ethertype) {
  std::memcpy(p, l2.dst.data(), 6);
  std::memcpy(p + 6, l2.src.data(), 6);
  Put16(p + 12, ethertype);
}

size_t IpHeaderBytes(const IpAddr& a) { return a.v6 ? 40 : 20; }

// RFC 9293 3.1 / RFC 768 / RFC 8200 8.1: the pseudo-header sum (addresses, protocol,
// upper-layer length).
uint32_t PseudoHeaderSum(const IpAddr& src, const IpAddr& dst, uint8_t proto, size_t l4_len) {
  uint8_t ph[40] = {};
  size_t n = src.size();
  std::memcpy(ph, src.b.data(), n);
  std::memcpy(ph + n, dst.b.data(), n);
  if (src.v6) {
    Put32(ph + 32, static_cast<uint32_t>(l4_len));
    ph[39] = proto;
    return ChecksumPartial(Bytes(ph, 40));
  }
  ph[9] = proto;
  Put16(ph + 10, static_cast<uint16_t>(l4_len));
  return ChecksumPartial(Bytes(ph, 12));
}

// Writes the IPv4 (RFC 791, ID 0 with DF: we never fragment) or IPv6 header at p.
void PutIp(uint8_t* p, const IpAddr& src, const IpAddr& dst, uint8_t proto, size_t l4_len,
           uint8_t ttl) {
  if (src.v6) {
    std::memset(p, 0, 40);
    p[0] = 0x60;
    Put16(p + 4, static_cast<uint16_t>(l4_len));
    p[6] = proto;
    p[7] = ttl;
    std::memcpy(p + 8, src.b.data(), 16);
    std::memcpy(p + 24, dst.b.data(), 16);
    return;
  }
  std::memset(p, 0, 20);
  p[0] = 0x45;
  Put16(p + 2, static_cast<uint16_t>(20 + l4_len));
  Put16(p + 6, 0x4000);  // DF
  p[8] = ttl;
  p[9] = proto;
  std::memcpy(p + 12, src.b.data(), 4);
  std::memcpy(p + 16, dst.b.data(), 4);
  Put16(p + 10, ChecksumFinish(ChecksumPartial(Bytes(p, 20))));
}

// Room for Ethernet + IP + l4_len bytes, and an IP length field that can hold it.
// Returns the frame length or 0.
size_t FrameBytes(std::span<uint8_t> out, const IpAddr& src, const IpAddr& dst, size_t l4_len) {
  if (src.v6 != dst.v6) return 0;
  size_t ip_len_field = src.v6 ? l4_len : 20 + l4_len;
  if (ip_len_field > 0xffff) return 0;
  size_t total = kEthHeaderBytes + IpHeaderBytes(src) + l4_len;
  return total <= out.size() ? total : 0;
}

// Writes Ethernet + IP headers for a packet whose L4 part is l4_len bytes; returns a pointer
// to the L4 part.
uint8_t* PutHeaders(std::span<uint8_t> out, const L2Addrs& l2, const IpAddr& src, const IpAddr& dst,
                    uint8_t proto, size_t l4_len, uint8_t ttl = kTtl) {
  uint8_t* p = out.data();
  PutEth(p, l2, src.v6 ? kEtherTypeIpv6 : kEtherTypeIpv4);
  PutIp(p + kEthHeaderBytes, src, dst, proto, l4_len, ttl);
  return p + kEthHeaderBytes + IpHeaderBytes(src);
}

// Checksum of an L4 part with the pseudo-header (ICMPv4 has none) written at `csum_off`.
void PutL4Checksum(uint8_t* l4, size_t l4_len, size_t csum_off, const IpAddr& src,
                   const IpAddr& dst, uint8_t proto) {
  Put16(l4 + csum_off, 0);
  uint32_t sum = proto == kProtoIcmp ? 0 : PseudoHeaderSum(src, dst, proto, l4_len);
  uint16_t c = ChecksumFinish(ChecksumPartial(Bytes(l4, l4_len), sum));
  // RFC 768 / RFC 8200 8.1: a computed UDP checksum of zero is sent as all ones (zero means
  // "no checksum").
  if (proto == kProtoUdp && c == 0) c = 0xffff;
  Put16(l4 + csum_off, c);
}

size_t TcpOptionBytes(const TcpSegment& seg) {
  return (seg.mss ? 4 : 0) + (seg.wscale ? 4 : 0) + (seg.sack_permitted ? 4 : 0);
}

}  // namespace

uint32_t ChecksumPartial(ByteSpan data, uint32_t initial) {
  // RFC 1071: big-endian 16-bit words, an odd last byte padded with zero. Chaining is exact
  // only when every chunk but the last has even length (pseudo-headers always do).
  uint64_t sum = initial;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  size_t i = 0;
  for (; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (i < n) sum += static_cast<uint32_t>(p[i] << 8);
  while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint32_t>(sum);
}

uint16_t ChecksumFinish(uint32_t sum) {
  while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

size_t BuildTcp(std::span<uint8_t> out, const L2Addrs& l2, const Endpoint& src, const Endpoint& dst,
                const TcpSegment& seg, ByteSpan payload) {
  size_t header = 20 + TcpOptionBytes(seg);
  size_t l4_len = header + payload.size();
  size_t total = FrameBytes(out, src.ip, dst.ip, l4_len);
  if (total == 0) return 0;
  uint8_t* t = PutHeaders(out, l2, src.ip, dst.ip, kProtoTcp, l4_len);
  // RFC 9293 3.1 header, then options (3.2; RFC 7323 2.2; RFC 2018 2) on 4-byte boundaries.
  Put16(t, src.port);
  Put16(t + 2, dst.port);
  Put32(t + 4, seg.seq);
  Put32(t + 8, seg.ack);
  t[12] = static_cast<uint8_t>(header / 4 << 4);
  t[13] = seg.flags;
  Put16(t + 14, seg.window);
  Put16(t + 16, 0);
  Put16(t + 18, 0);  // urgent pointer
  uint8_t* o = t + 20;
  if (seg.mss) {
    o[0] = 2;
    o[1] = 4;
    Put16(o + 2, *seg.mss);
    o += 4;
  }
  if (seg.wscale) {
    o[0] = 1;
    o[1] = 3;
    o[2] = 3;
    o[3] = *seg.wscale;
    o += 4;
  }
  if (seg.sack_permitted) {
    o[0] = 4;
    o[1] = 2;
    o[2] = 1;
    o[3] = 1;
    o += 4;
  }
  if (!payload.empty()) std::memcpy(o, payload.data(), payload.size());
  PutL4Checksum(t, l4_len, 16, src.ip, dst.ip, kProtoTcp);
  return total;
}

size_t BuildUdp(std::span<uint8_t> out, const L2Addrs& l2, const Endpoint& src, const Endpoint& dst,
                ByteSpan payload) {
  size_t l4_len = 8 + payload.size();
  if (l4_len > 0xffff) return 0;
  size_t total = FrameBytes(out, src.ip, dst.ip, l4_len);
  if (total == 0) return 0;
  uint8_t* u = PutHeaders(out, l2, src.ip, dst.ip, kProtoUdp, l4_len);
  Put16(u, src.port);
  Put16(u + 2, dst.port);
  Put16(u + 4, static_cast<uint16_t>(l4_len));
  if (!payload.empty()) std::memcpy(u + 8, payload.data(), payload.size());
  PutL4Checksum(u, l4_len, 6, src.ip, dst.ip, kProtoUdp);
  return total;
}

size_t BuildIcmpEcho(std::span<uint8_t> out, const L2Addrs& l2, const IpAddr& src,
                     const IpAddr& dst, bool reply, uint16_t id, uint16_t seq, ByteSpan data) {
  size_t l4_len = 8 + data.size();
  size_t total = FrameBytes(out, src, dst, l4_len);
  if (total == 0) return 0;
  uint8_t proto = src.v6 ? kProtoIcmpv6 : kProtoIcmp;
  uint8_t* m = PutHeaders(out, l2, src, dst, proto, l4_len);
  // RFC 792 echo: type 8 request / 0 reply; RFC 4443 4.1, 4.2: 128 / 129.
  m[0] = src.v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);
  m[1] = 0;
  Put16(m + 4, id);
  Put16(m + 6, seq);
  if (!data.empty()) std::memcpy(m + 8, data.data(), data.size());
  PutL4Checksum(m, l4_len, 2, src, dst, proto);
  return total;
}

size_t BuildIcmpError(std::span<uint8_t> out, const L2Addrs& l2, const IpAddr& src,
                      const IpAddr& dst, uint8_t type, uint8_t code, ByteSpan offending_ip,
                      uint32_t rest) {
  // Quote limits: RFC 1812 4.3.2.3 (the whole ICMPv4 error within 576 bytes); RFC 4443 2.4(c)
  // (the whole ICMPv6 error within the minimum MTU, 1280 bytes).
  size_t limit = src.v6 ? 1280 : 576;
  size_t quote = std::min(offending_ip.size(), limit - IpHeaderBytes(src) - 8);
  size_t l4_len = 8 + quote;
  size_t total = FrameBytes(out, src, dst, l4_len);
  if (total == 0) return 0;
  uint8_t proto = src.v6 ? kProtoIcmpv6 : kProtoIcmp;
  uint8_t* m = PutHeaders(out, l2, src, dst, proto, l4_len);
  m[0] = type;
  m[1] = code;
  Put32(m + 4, rest);
  if (quote != 0) std::memcpy(m + 8, offending_ip.data(), quote);
  PutL4Checksum(m, l4_len, 2, src, dst, proto);
  return total;
}

size_t BuildArpReply(std::span<uint8_t> out, const Mac& mac, const IpAddr& ip,
                     const Mac& target_mac, const IpAddr& target_ip) {
  constexpr size_t kTotal = kEthHeaderBytes + 28;
  if (ip.v6 || target_ip.v6 || out.size() < kTotal) return 0;
  uint8_t* p = out.data();
  PutEth(p, L2Addrs{mac, target_mac}, kEtherTypeArp);
  // RFC 826: Ethernet (1), IPv4, 6-byte hardware and 4-byte protocol addresses, op 2.
  uint8_t* a = p + kEthHeaderBytes;
  Put16(a, 1);
  Put16(a + 2, kEtherTypeIpv4);
  a[4] = 6;
  a[5] = 4;
  Put16(a + 6, 2);
  std::memcpy(a + 8, mac.data(), 6);
  std::memcpy(a + 14, ip.b.data(), 4);
  std::memcpy(a + 18, target_mac.data(), 6);
  std::memcpy(a + 24, target_ip.b.data(), 4);
  return kTotal;
}

size_t BuildNeighborAdvert(std::span<uint8_t> out, const L2Addrs& l2, const IpAddr& src,
                           const IpAddr& dst, const IpAddr& target, bool router) {
  if (!src.v6 || !target.v6) return 0;
  // RFC 4861 4.4: type 136, flags, target, then the target link-layer address option
  // (4.6.1: type 2, length 1 unit of 8 bytes).
  constexpr size_t kL4 = 24 + 8;
  size_t total = FrameBytes(out, src, dst, kL4);
  if (total == 0) return 0;
  uint8_t* m = PutHeaders(out, l2, src, dst, kProtoIcmpv6, kL4, kNdpHopLimit);
  std::memset(m, 0, kL4);
  m[0] = 136;
  // R, S, O. RFC 4861 7.2.4: an answer to a solicitation from :: goes to all-nodes with S
  // clear, so S follows whether the destination is unicast.
  m[4] = static_cast<uint8_t>((router ? 0x80 : 0) | (dst.IsMulticast() ? 0 : 0x40) | 0x20);
  std::memcpy(m + 8, target.b.data(), 16);
  m[24] = 2;
  m[25] = 1;
  std::memcpy(m + 26, l2.src.data(), 6);
  PutL4Checksum(m, kL4, 2, src, dst, kProtoIcmpv6);
  return total;
}

bool FixL4Checksum(std::span<uint8_t> frame) {
  Result<Frame> parsed = ParseFrame(Bytes(frame.data(), frame.size()));
  if (!parsed.has_value() || parsed->fragment) return false;
  const Frame& f = *parsed;
  size_t csum_off;
  switch (f.l4) {
    case L4::kTcp:
      csum_off = 16;
      break;
    case L4::kUdp:
      csum_off = 6;
      break;
    case L4::kIcmpv6:
      csum_off = 2;
      break;
    default:
      return false;
  }
  // l4_segment points into `frame`: patch it in place.
  auto off =
      static_cast<size_t>(reinterpret_cast<const uint8_t*>(f.l4_segment.data()) - frame.data());
  PutL4Checksum(frame.data() + off, f.l4_segment.size(), csum_off, f.ip_src, f.ip_dst, f.protocol);
  return true;
}

}  // namespace krata::net
