#pragma once
// Building frames sent to zones. Each builder writes one complete Ethernet frame into `out`
// with every checksum computed and returns its length, or 0 if `out` is too small.
// IP version follows the endpoints' family (both must match). TTL/hop limit is 64.

#include <cstdint>
#include <optional>
#include <span>

#include "base/bytes.h"
#include "net/packet/addr.h"
#include "net/packet/frame.h"

namespace krata::net {

inline constexpr size_t kMaxFrameBytes = 65536 + kEthHeaderBytes;

struct L2Addrs {
  Mac src{};
  Mac dst{};
};

struct TcpSegment {
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;              // tcpflag::*
  uint16_t window = 0;            // raw value written to the header (already scaled down)
  std::optional<uint16_t> mss;    // SYN only
  std::optional<uint8_t> wscale;  // SYN only
  bool sack_permitted = false;    // SYN only
};

size_t BuildTcp(std::span<uint8_t> out, const L2Addrs& l2, const Endpoint& src, const Endpoint& dst,
                const TcpSegment& seg, ByteSpan payload);
size_t BuildUdp(std::span<uint8_t> out, const L2Addrs& l2, const Endpoint& src, const Endpoint& dst,
                ByteSpan payload);
// ICMP (IPv4) or ICMPv6 echo request/reply.
size_t BuildIcmpEcho(std::span<uint8_t> out, const L2Addrs& l2, const IpAddr& src,
                     const IpAddr& dst, bool reply, uint16_t id, uint16_t seq, ByteSpan data);
// ICMP/ICMPv6 error (destination unreachable, ...) quoting the start of `offending_ip`
// (RFC 792: header + 8 bytes at least; RFC 4443: as much as fits in 1280 bytes).
// `rest` fills the 4 bytes after the checksum: zero ("unused") for most errors, the next-hop
// MTU for ICMPv4 fragmentation needed (3/4: low 16 bits) and ICMPv6 packet too big (2).
size_t BuildIcmpError(std::span<uint8_t> out, const L2Addrs& l2, const IpAddr& src,
                      const IpAddr& dst, uint8_t type, uint8_t code, ByteSpan offending_ip,
                      uint32_t rest = 0);
// ARP reply: "ip is at mac", sent to (target_mac, target_ip).
size_t BuildArpReply(std::span<uint8_t> out, const Mac& mac, const IpAddr& ip,
                     const Mac& target_mac, const IpAddr& target_ip);
// NDP neighbour advertisement for `target` (override, router flag as given; solicited unless
// `dst` is multicast, RFC 4861 7.2.4) with the target link-layer address option (l2.src).
// Hop limit 255 (RFC 4861 7.1.2).
size_t BuildNeighborAdvert(std::span<uint8_t> out, const L2Addrs& l2, const IpAddr& src,
                           const IpAddr& dst, const IpAddr& target, bool router);

// RFC 1071 ones' complement sum, folded, not inverted; start with `initial` to chain.
uint32_t ChecksumPartial(ByteSpan data, uint32_t initial = 0);
uint16_t ChecksumFinish(uint32_t sum);
// Recomputes the TCP/UDP/ICMPv6 checksum of an IPv4/IPv6 frame in place (frames switched
// between zones can carry partial checksums from offload). Returns false if the frame is not
// one of those or is malformed; the frame is then unchanged.
bool FixL4Checksum(std::span<uint8_t> frame);

}  // namespace krata::net
