#include "net/packet/frame.h"

#include <gtest/gtest.h>

#include <vector>

#include "net/packet/build.h"
#include "net/packet/testing.h"

namespace krata::net {
namespace {

using testing::Span;

IpAddr Ip(std::string_view s) { return MUST(ParseIp(s)); }

const L2Addrs kL2{{0x02, 0, 0, 0, 0, 1}, {0x02, 0, 0, 0, 0, 2}};

std::vector<uint8_t> TcpFrame(bool v6, const std::string& data = "abc") {
  std::vector<uint8_t> buf(2048);
  IpAddr a = v6 ? Ip("fd00::2") : Ip("10.75.0.2");
  IpAddr b = v6 ? Ip("2001:db8::1") : Ip("192.0.2.1");
  TcpSegment seg;
  seg.seq = 1;
  seg.flags = tcpflag::kSyn;
  seg.window = 100;
  seg.mss = 1400;
  seg.wscale = 3;
  seg.sack_permitted = true;
  size_t n = BuildTcp(std::span<uint8_t>(buf), kL2, {a, 1000}, {b, 80}, seg, Span(data));
  buf.resize(n);
  return buf;
}

std::vector<uint8_t> UdpFrame(bool v6, const std::string& data = "abcdef") {
  std::vector<uint8_t> buf(2048);
  IpAddr a = v6 ? Ip("fd00::2") : Ip("10.75.0.2");
  IpAddr b = v6 ? Ip("fd00::1") : Ip("10.75.0.1");
  size_t n = BuildUdp(std::span<uint8_t>(buf), kL2, {a, 1000}, {b, 53}, Span(data));
  buf.resize(n);
  return buf;
}

bool Parses(const std::vector<uint8_t>& f) { return ParseFrame(Span(f)).has_value(); }

void Put16(std::vector<uint8_t>& f, size_t off, uint16_t v) {
  f[off] = static_cast<uint8_t>(v >> 8);
  f[off + 1] = static_cast<uint8_t>(v);
}

constexpr size_t kIp = kEthHeaderBytes;  // IP header offset
constexpr size_t kTcp4 = kIp + 20;       // TCP header offset over IPv4

TEST(FrameTest, EveryTruncationErrorsOrStaysInBounds) {
  for (bool v6 : {false, true}) {
    std::vector<uint8_t> full = TcpFrame(v6);
    ASSERT_TRUE(Parses(full));
    for (size_t len = 0; len < full.size(); ++len) {
      // An exact-size heap copy so ASan flags any read past `len`.
      std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(len));
      cut.shrink_to_fit();
      Result<Frame> f = ParseFrame(Span(cut));
      // IP lengths describe the full packet, so every cut inside it is an error.
      EXPECT_FALSE(f.has_value()) << "v6=" << v6 << " len=" << len;
    }
  }
}

TEST(FrameTest, EthernetPaddingIsIgnored) {
  std::vector<uint8_t> f = UdpFrame(false, "");
  ASSERT_LT(f.size(), 60u);
  size_t ip_len = f.size() - kEthHeaderBytes;
  f.resize(60, 0xee);  // minimum Ethernet frame, padded
  Frame p = MUST(ParseFrame(Span(f)));
  EXPECT_EQ(p.ip_packet.size(), ip_len);
  ASSERT_EQ(p.l4, L4::kUdp);
  EXPECT_TRUE(p.udp.payload.empty());
}

TEST(FrameTest, Ipv4HeaderLengthChecks) {
  std::vector<uint8_t> f = TcpFrame(false);
  for (uint8_t ihl = 0; ihl < 5; ++ihl) {
    std::vector<uint8_t> g = f;
    g[kIp] = static_cast<uint8_t>(0x40 | ihl);
    EXPECT_FALSE(Parses(g)) << int{ihl};
  }
  std::vector<uint8_t> g = f;
  g[kIp] = 0x4f;  // 60-byte header: longer than the 55-byte packet
  EXPECT_FALSE(Parses(g));
  g = f;
  g[kIp] = 0x55;  // version 5
  EXPECT_FALSE(Parses(g));
  g = f;
  Put16(g, kIp + 2, static_cast<uint16_t>(f.size() - kIp + 1));  // total > buffer
  EXPECT_FALSE(Parses(g));
  g = f;
  Put16(g, kIp + 2, 19);  // total < header
  EXPECT_FALSE(Parses(g));
}

TEST(FrameTest, Ipv4OptionsAreSkipped) {
  std::vector<uint8_t> f = TcpFrame(false);
  // Insert 4 bytes of options (NOP NOP NOP EOL) and fix IHL and total length.
  f.insert(f.begin() + kTcp4, {1, 1, 1, 0});
  f[kIp] = 0x46;
  Put16(f, kIp + 2, static_cast<uint16_t>(f.size() - kIp));
  Frame p = MUST(ParseFrame(Span(f)));
  ASSERT_EQ(p.l4, L4::kTcp);
  EXPECT_EQ(p.tcp.mss, 1400);
  EXPECT_EQ(AsChars(p.tcp.payload), "abc");
}

TEST(FrameTest, TcpDataOffsetChecks) {
  std::vector<uint8_t> f = TcpFrame(false);
  for (uint8_t doff : {0, 1, 4}) {
    std::vector<uint8_t> g = f;
    g[kTcp4 + 12] = static_cast<uint8_t>(doff << 4);
    EXPECT_FALSE(Parses(g)) << int{doff};
  }
  std::vector<uint8_t> g = f;
  g[kTcp4 + 12] = 0xf0;  // 60 bytes: beyond the 35-byte segment
  EXPECT_FALSE(Parses(g));
}

TEST(FrameTest, TcpOptionLengthChecks) {
  std::vector<uint8_t> f = TcpFrame(false);
  size_t opt = kTcp4 + 20;  // MSS option: 2 4 hi lo
  ASSERT_EQ(f[opt], 2);
  for (uint8_t len : {0, 1, 13, 255}) {  // 12 bytes of options remain from here
    std::vector<uint8_t> g = f;
    g[opt + 1] = len;
    EXPECT_FALSE(Parses(g)) << int{len};
  }
  // A kind byte with no room for its length byte.
  std::vector<uint8_t> g = f;
  for (size_t i = opt; i < opt + 11; ++i) g[i] = 1;
  g[opt + 11] = 8;
  EXPECT_FALSE(Parses(g));
  // Known kind with the wrong length: skipped, not an error.
  g = f;
  g[opt + 1] = 3;  // MSS of length 3 covers "2 3 hi"; next option starts at lo (0x78=120)
  g[opt + 3] = 1;  // make that a NOP
  Frame p = MUST(ParseFrame(Span(g)));
  EXPECT_FALSE(p.tcp.mss.has_value());
  EXPECT_EQ(p.tcp.wscale, 3);
  // End-of-options stops the walk even if garbage follows.
  g = f;
  g[opt] = 0;
  g[opt + 1] = 0;
  p = MUST(ParseFrame(Span(g)));
  EXPECT_FALSE(p.tcp.mss.has_value());
  EXPECT_FALSE(p.tcp.wscale.has_value());
}

TEST(FrameTest, WindowScaleAbove14IsClamped) {
  std::vector<uint8_t> buf(256);
  TcpSegment seg;
  seg.flags = tcpflag::kSyn;
  seg.wscale = 200;
  size_t n =
      BuildTcp(std::span<uint8_t>(buf), kL2, {Ip("10.0.0.1"), 1}, {Ip("10.0.0.2"), 2}, seg, {});
  buf.resize(n);
  EXPECT_EQ(MUST(ParseFrame(Span(buf))).tcp.wscale, 14);
}

TEST(FrameTest, UdpLengthChecks) {
  for (bool v6 : {false, true}) {
    std::vector<uint8_t> f = UdpFrame(v6);
    size_t udp = kIp + (v6 ? 40 : 20);
    for (uint16_t len : {0, 7}) {
      std::vector<uint8_t> g = f;
      Put16(g, udp + 4, len);
      EXPECT_FALSE(Parses(g)) << len;
    }
    std::vector<uint8_t> g = f;
    Put16(g, udp + 4, static_cast<uint16_t>(f.size() - udp + 1));  // beyond the IP payload
    EXPECT_FALSE(Parses(g));
    g = f;
    Put16(g, udp + 4, 10);  // shorter than the IP payload: bounds the datagram
    Frame p = MUST(ParseFrame(Span(g)));
    EXPECT_EQ(AsChars(p.udp.payload), "ab");
    EXPECT_EQ(p.l4_segment.size(), 10u);
  }
}

TEST(FrameTest, Ipv6PayloadLengthChecks) {
  std::vector<uint8_t> f = UdpFrame(true);
  std::vector<uint8_t> g = f;
  Put16(g, kIp + 4, static_cast<uint16_t>(f.size() - kIp - 40 + 1));
  EXPECT_FALSE(Parses(g));
  g = f;
  g[kIp] = 0x40;  // version 4 in an IPv6 ethertype
  EXPECT_FALSE(Parses(g));
  g = f;
  Put16(g, kIp + 4, 4);  // payload shorter than a UDP header
  EXPECT_FALSE(Parses(g));
}

// Inserts an extension header of `len` bytes with next header `next` after the fixed IPv6
// header, chaining it in.
void InsertExt(std::vector<uint8_t>& f, uint8_t type, std::vector<uint8_t> ext) {
  ext[0] = f[kIp + 6];
  f[kIp + 6] = type;
  f.insert(f.begin() + kIp + 40, ext.begin(), ext.end());
  Put16(f, kIp + 4, static_cast<uint16_t>(f.size() - kIp - 40));
}

TEST(FrameTest, Ipv6ExtensionHeadersAreWalked) {
  std::vector<uint8_t> f = UdpFrame(true);
  InsertExt(f, 0, std::vector<uint8_t>(8, 0));    // hop-by-hop, 8 bytes
  InsertExt(f, 60, std::vector<uint8_t>(16, 0));  // destination options, 16 bytes
  f[kIp + 40 + 1] = 1;                            // its length: (1 + 1) * 8
  Frame p = MUST(ParseFrame(Span(f)));
  EXPECT_EQ(p.protocol, kProtoUdp);
  ASSERT_EQ(p.l4, L4::kUdp);
  EXPECT_EQ(AsChars(p.udp.payload), "abcdef");
  // FixL4Checksum finds the UDP header behind them.
  // (The extension headers do not enter the pseudo-header, so f's checksum is still right.)
  std::vector<uint8_t> g = f;
  g[g.size() - 6 - 2] ^= 1;  // the UDP checksum: 8-byte header, 6 bytes of payload
  EXPECT_TRUE(FixL4Checksum(std::span<uint8_t>(g)));
  EXPECT_EQ(g, f);
}

TEST(FrameTest, Ipv6ExtensionHeaderOverrunsAndChains) {
  std::vector<uint8_t> f = UdpFrame(true);
  std::vector<uint8_t> g = f;
  InsertExt(g, 43, std::vector<uint8_t>(8, 0));
  g[kIp + 40 + 1] = 5;  // 48 bytes: beyond the packet
  EXPECT_FALSE(Parses(g));

  // A chain of hop-by-hop headers each pointing at another: bounded.
  g = f;
  for (int i = 0; i < 9; ++i) InsertExt(g, 0, std::vector<uint8_t>(8, 0));
  EXPECT_FALSE(Parses(g));
  g = f;
  for (int i = 0; i < 8; ++i) InsertExt(g, 0, std::vector<uint8_t>(8, 0));
  EXPECT_TRUE(Parses(g));

  // An extension header claimed but no bytes left for it.
  g = f;
  g[kIp + 6] = 60;
  Put16(g, kIp + 4, 4);
  EXPECT_FALSE(Parses(g));
}

TEST(FrameTest, Ipv4FragmentsAreNotParsedFurther) {
  for (uint16_t frag : {0x2000, 0x0001, 0x2010}) {  // MF, offset, both
    std::vector<uint8_t> f = TcpFrame(false);
    Put16(f, kIp + 6, frag);
    Frame p = MUST(ParseFrame(Span(f)));
    EXPECT_TRUE(p.fragment);
    EXPECT_EQ(p.l4, L4::kNone);
    EXPECT_EQ(p.protocol, kProtoTcp);
    EXPECT_TRUE(p.l4_segment.empty());
    EXPECT_FALSE(FixL4Checksum(std::span<uint8_t>(f)));
  }
  std::vector<uint8_t> f = TcpFrame(false);
  Put16(f, kIp + 6, 0x4000);  // DF alone is not a fragment
  EXPECT_FALSE(MUST(ParseFrame(Span(f))).fragment);
}

TEST(FrameTest, Ipv6FragmentHeaderMarksFragment) {
  std::vector<uint8_t> f = UdpFrame(true);
  InsertExt(f, 44, std::vector<uint8_t>(8, 0));
  Frame p = MUST(ParseFrame(Span(f)));
  EXPECT_TRUE(p.fragment);
  EXPECT_EQ(p.l4, L4::kNone);
  EXPECT_EQ(p.protocol, kProtoUdp);
}

TEST(FrameTest, ArpParses) {
  std::vector<uint8_t> f(42);
  Mac gw{2, 0, 0, 0, 0, 1};
  size_t n = BuildArpReply(std::span<uint8_t>(f), gw, Ip("10.0.0.1"), gw, Ip("10.0.0.2"));
  ASSERT_EQ(n, 42u);
  f[21] = 1;  // make it a request
  Frame p = MUST(ParseFrame(Span(f)));
  EXPECT_EQ(p.l3, L3::kArp);
  EXPECT_EQ(p.arp.op, 1);
  std::vector<uint8_t> g(f.begin(), f.end() - 1);
  EXPECT_FALSE(Parses(g));
  g = f;
  g[18] = 16;  // hardware length 16: not Ethernet/IPv4 ARP
  p = MUST(ParseFrame(Span(g)));
  EXPECT_EQ(p.l3, L3::kNone);
}

TEST(FrameTest, UnknownEthertypesAndProtocols) {
  std::vector<uint8_t> f = TcpFrame(false);
  std::vector<uint8_t> g = f;
  g[12] = 0x81;  // 802.1Q tag
  g[13] = 0x00;
  Frame p = MUST(ParseFrame(Span(g)));
  EXPECT_EQ(p.l3, L3::kNone);
  g = f;
  g[kIp + 9] = 132;  // SCTP
  p = MUST(ParseFrame(Span(g)));
  EXPECT_EQ(p.l4, L4::kOther);
  EXPECT_EQ(p.protocol, 132);
  g = f;
  g[kIp + 9] = kProtoIcmpv6;  // ICMPv6 over IPv4 is meaningless
  p = MUST(ParseFrame(Span(g)));
  EXPECT_EQ(p.l4, L4::kOther);
  std::vector<uint8_t> tiny(13);
  EXPECT_FALSE(Parses(tiny));
}

// An NDP neighbour solicitation from fd00::2 for `target` with a source link-layer option.
std::vector<uint8_t> NeighborSolicit(std::vector<uint8_t> options) {
  std::vector<uint8_t> buf(256);
  // Build an NA for its layout, then turn it into an NS (the parser ignores checksums).
  size_t n = BuildNeighborAdvert(std::span<uint8_t>(buf), kL2, Ip("fd00::2"), Ip("ff02::1:ff00:1"),
                                 Ip("fd00::1"), false);
  buf.resize(n - 8);  // drop the target link-layer option
  buf[54] = 135;
  buf.insert(buf.end(), options.begin(), options.end());
  Put16(buf, kIp + 4, static_cast<uint16_t>(buf.size() - kIp - 40));
  return buf;
}

TEST(FrameTest, NdpOptions) {
  Frame p = MUST(ParseFrame(Span(NeighborSolicit({1, 1, 2, 3, 4, 5, 6, 7}))));
  ASSERT_EQ(p.l4, L4::kIcmpv6);
  EXPECT_EQ(p.icmp.type, 135);
  EXPECT_EQ(p.icmp.nd_target, Ip("fd00::1"));
  EXPECT_EQ(p.icmp.nd_lladdr, (Mac{2, 3, 4, 5, 6, 7}));

  // An unrelated option (nonce, type 14) before it is skipped; the target option in an NS is
  // not taken as the source address.
  p = MUST(ParseFrame(Span(NeighborSolicit({14, 1, 0, 0, 0, 0, 0, 0, 2, 1, 9, 9, 9, 9, 9, 9}))));
  EXPECT_FALSE(p.icmp.nd_lladdr.has_value());
  // No options at all.
  p = MUST(ParseFrame(Span(NeighborSolicit({}))));
  EXPECT_FALSE(p.icmp.nd_lladdr.has_value());

  EXPECT_FALSE(Parses(NeighborSolicit({1, 0, 2, 3, 4, 5, 6, 7})));  // length 0
  EXPECT_FALSE(Parses(NeighborSolicit({1, 2, 2, 3, 4, 5, 6, 7})));  // 16 bytes claimed
  EXPECT_FALSE(Parses(NeighborSolicit({1})));                       // truncated
  // Truncated NS (shorter than type + reserved + target).
  std::vector<uint8_t> f = NeighborSolicit({});
  f.resize(f.size() - 1);
  Put16(f, kIp + 4, static_cast<uint16_t>(f.size() - kIp - 40));
  EXPECT_FALSE(Parses(f));
}

TEST(FrameTest, IcmpEchoTooShort) {
  for (bool v6 : {false, true}) {
    std::vector<uint8_t> buf(256);
    IpAddr a = v6 ? Ip("fd00::2") : Ip("10.0.0.2");
    size_t n = BuildIcmpEcho(std::span<uint8_t>(buf), kL2, a, a, false, 1, 2, {});
    buf.resize(n - 1);
    if (v6) {
      Put16(buf, kIp + 4, 7);
    } else {
      Put16(buf, kIp + 2, 27);
    }
    EXPECT_FALSE(Parses(buf)) << v6;
    // A non-echo ICMP message needs only its 4-byte header.
    buf[v6 ? kIp + 40 : kIp + 20] = v6 ? 1 : 3;
    EXPECT_TRUE(Parses(buf)) << v6;
  }
}

}  // namespace
}  // namespace krata::net
