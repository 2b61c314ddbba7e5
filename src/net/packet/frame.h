#pragma once
// Parsing of Ethernet frames received from a zone (untrusted: every length is checked
// against the buffer and the IP header's own lengths; fuzzed by net_frame_fuzzer).
//
// Layouts: Ethernet II (IEEE 802.3, no VLAN tags: tagged frames parse as L3 kNone), ARP
// (RFC 826, Ethernet/IPv4 only), IPv4 (RFC 791, options skipped), IPv6 (RFC 8200; hop-by-hop,
// routing and destination options headers are walked, a fragment header marks the packet a
// fragment), ICMP (RFC 792), ICMPv6 (RFC 4443) with NDP (RFC 4861), UDP (RFC 768),
// TCP (RFC 9293) with the MSS, window scale and SACK-permitted options.
// Checksums are NOT verified: frames from a vif or veth often carry partial checksums
// (checksum offload), and a zone can only hurt its own flows with a bad one.

#include <cstdint>
#include <optional>
#include <span>

#include "base/bytes.h"
#include "base/result.h"
#include "net/packet/addr.h"

namespace krata::net {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr size_t kEthHeaderBytes = 14;

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIcmpv6 = 58;

namespace tcpflag {
inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
}

enum class L3 : uint8_t { kNone, kArp, kIpv4, kIpv6 };
enum class L4 : uint8_t { kNone, kTcp, kUdp, kIcmp, kIcmpv6, kOther };

struct ArpInfo {
  uint16_t op = 0;  // 1 request, 2 reply
  Mac sender_mac{};
  IpAddr sender_ip;
  Mac target_mac{};
  IpAddr target_ip;
};

struct TcpInfo {
  uint16_t src_port = 0, dst_port = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;    // tcpflag::*
  uint16_t window = 0;  // raw, unscaled
  std::optional<uint16_t> mss;
  std::optional<uint8_t> wscale;  // shifts above 14 read as 14 (RFC 7323 2.3)
  bool sack_permitted = false;
  ByteSpan payload;
};

struct UdpInfo {
  uint16_t src_port = 0, dst_port = 0;
  ByteSpan payload;  // bounded by the UDP length field
};

struct IcmpInfo {
  uint8_t type = 0, code = 0;
  uint16_t id = 0, seq = 0;  // echo request/reply only
  ByteSpan body;             // everything after the 4-byte type/code/checksum header
  // NDP neighbour solicitation/advertisement (ICMPv6 135/136): the target address and the
  // source/target link-layer address option, if present.
  std::optional<IpAddr> nd_target;
  std::optional<Mac> nd_lladdr;
};

struct Frame {
  Mac dst{}, src{};
  uint16_t ethertype = 0;
  L3 l3 = L3::kNone;
  ArpInfo arp;  // l3 == kArp

  // l3 == kIpv4 / kIpv6
  IpAddr ip_src, ip_dst;
  uint8_t ttl = 0;        // hop limit for IPv6
  uint8_t protocol = 0;   // IPv4 protocol / IPv6 final next header
  bool fragment = false;  // any fragment (L4 is then not parsed: l4 == kNone)
  ByteSpan ip_packet;     // the IP header through the end of the IP payload (no Ethernet padding)
  // The transport header through the end of the IP payload (UDP: through the UDP length);
  // empty for fragments. Lets callers find and patch L4 fields.
  ByteSpan l4_segment;

  L4 l4 = L4::kNone;
  TcpInfo tcp;
  UdpInfo udp;
  IcmpInfo icmp;  // kIcmp and kIcmpv6
};

// Parses one Ethernet frame. Errors only for frames too short or inconsistent to use
// (truncated headers, lengths beyond the buffer); unknown ethertypes/protocols parse with
// l3/l4 kNone/kOther.
Result<Frame> ParseFrame(ByteSpan frame);

}  // namespace krata::net
