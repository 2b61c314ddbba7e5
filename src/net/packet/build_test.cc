#include "net/packet/build.h"

#include <gtest/gtest.h>

#include <vector>

#include "net/packet/testing.h"

namespace krata::net {
namespace {

using testing::ChecksumsVerify;
using testing::Span;

IpAddr Ip(std::string_view s) { return MUST(ParseIp(s)); }

const L2Addrs kL2{{0x02, 0, 0, 0, 0, 1}, {0x02, 0, 0, 0, 0, 2}};

struct Family {
  IpAddr a, b;
};

class BuildTest : public ::testing::TestWithParam<bool> {
 protected:
  Family F() const {
    return GetParam() ? Family{Ip("fd00::1"), Ip("2001:db8::77")}
                      : Family{Ip("10.75.0.1"), Ip("192.0.2.77")};
  }
  // Builds with `fn` into a buffer of exactly the returned size, checks every shorter buffer
  // is refused, and parses the result.
  template <typename Fn>
  Frame BuildAndParse(Fn fn) {
    std::vector<uint8_t> big(kMaxFrameBytes);
    size_t n = fn(std::span<uint8_t>(big));
    EXPECT_NE(n, 0u);
    big.resize(n);
    for (size_t short_len : {size_t{0}, n / 2, n - 1}) {
      std::vector<uint8_t> small(short_len);
      EXPECT_EQ(fn(std::span<uint8_t>(small)), 0u) << short_len;
    }
    frame_ = big;
    Result<Frame> f = ParseFrame(Span(frame_));
    EXPECT_TRUE(f.has_value());
    return f.has_value() ? *f : Frame{};
  }
  std::vector<uint8_t> frame_;
};

TEST_P(BuildTest, TcpSynWithOptionsRoundTrips) {
  Family fam = F();
  TcpSegment seg;
  seg.seq = 0x11223344;
  seg.flags = tcpflag::kSyn;
  seg.window = 64240;
  seg.mss = 1460;
  seg.wscale = 7;
  seg.sack_permitted = true;
  Frame f = BuildAndParse([&](std::span<uint8_t> out) {
    return BuildTcp(out, kL2, {fam.a, 40000}, {fam.b, 443}, seg, {});
  });
  EXPECT_EQ(f.dst, kL2.dst);
  EXPECT_EQ(f.src, kL2.src);
  EXPECT_EQ(f.l3, GetParam() ? L3::kIpv6 : L3::kIpv4);
  EXPECT_EQ(f.ip_src, fam.a);
  EXPECT_EQ(f.ip_dst, fam.b);
  EXPECT_EQ(f.ttl, 64);
  EXPECT_FALSE(f.fragment);
  ASSERT_EQ(f.l4, L4::kTcp);
  EXPECT_EQ(f.tcp.src_port, 40000);
  EXPECT_EQ(f.tcp.dst_port, 443);
  EXPECT_EQ(f.tcp.seq, 0x11223344u);
  EXPECT_EQ(f.tcp.flags, tcpflag::kSyn);
  EXPECT_EQ(f.tcp.window, 64240);
  EXPECT_EQ(f.tcp.mss, 1460);
  EXPECT_EQ(f.tcp.wscale, 7);
  EXPECT_TRUE(f.tcp.sack_permitted);
  EXPECT_TRUE(f.tcp.payload.empty());
  EXPECT_EQ(f.l4_segment.size(), 32u);  // 20 + 12 bytes of options
  EXPECT_TRUE(ChecksumsVerify(frame_));
  if (!GetParam()) {
    // IPv4: ID 0 with DF, total length matches.
    EXPECT_EQ(frame_[18], 0);
    EXPECT_EQ(frame_[19], 0);
    EXPECT_EQ(frame_[20], 0x40);
    EXPECT_EQ(f.ip_packet.size(), 20u + 32u);
  }
}

TEST_P(BuildTest, TcpDataRoundTrips) {
  Family fam = F();
  TcpSegment seg;
  seg.seq = 7;
  seg.ack = 99;
  seg.flags = tcpflag::kAck | tcpflag::kPsh;
  seg.window = 512;
  std::string data = "hello, zone! odd length";
  Frame f = BuildAndParse([&](std::span<uint8_t> out) {
    return BuildTcp(out, kL2, {fam.b, 80}, {fam.a, 5555}, seg, Span(data));
  });
  ASSERT_EQ(f.l4, L4::kTcp);
  EXPECT_EQ(f.tcp.ack, 99u);
  EXPECT_FALSE(f.tcp.mss.has_value());
  EXPECT_FALSE(f.tcp.wscale.has_value());
  EXPECT_FALSE(f.tcp.sack_permitted);
  EXPECT_EQ(AsChars(f.tcp.payload), data);
  EXPECT_TRUE(ChecksumsVerify(frame_));
}

TEST_P(BuildTest, UdpRoundTrips) {
  Family fam = F();
  std::string data = "dns?";
  Frame f = BuildAndParse([&](std::span<uint8_t> out) {
    return BuildUdp(out, kL2, {fam.b, 53}, {fam.a, 33333}, Span(data));
  });
  ASSERT_EQ(f.l4, L4::kUdp);
  EXPECT_EQ(f.udp.src_port, 53);
  EXPECT_EQ(f.udp.dst_port, 33333);
  EXPECT_EQ(AsChars(f.udp.payload), data);
  EXPECT_TRUE(ChecksumsVerify(frame_));
}

TEST_P(BuildTest, IcmpEchoRoundTrips) {
  Family fam = F();
  std::string data = "ping payload 123";
  for (bool reply : {false, true}) {
    Frame f = BuildAndParse([&](std::span<uint8_t> out) {
      return BuildIcmpEcho(out, kL2, fam.a, fam.b, reply, 0x1234, 9, Span(data));
    });
    ASSERT_EQ(f.l4, GetParam() ? L4::kIcmpv6 : L4::kIcmp);
    uint8_t want = GetParam() ? (reply ? 129 : 128) : (reply ? 0 : 8);
    EXPECT_EQ(f.icmp.type, want);
    EXPECT_EQ(f.icmp.code, 0);
    EXPECT_EQ(f.icmp.id, 0x1234);
    EXPECT_EQ(f.icmp.seq, 9);
    ASSERT_EQ(f.icmp.body.size(), 4 + data.size());
    EXPECT_EQ(AsChars(f.icmp.body.subspan(4)), data);
    EXPECT_TRUE(ChecksumsVerify(frame_));
  }
}

TEST_P(BuildTest, IcmpErrorQuotesOffendingPacket) {
  Family fam = F();
  std::vector<uint8_t> inner(kMaxFrameBytes);
  std::string data(3000, 'x');
  size_t n = BuildUdp(std::span<uint8_t>(inner), kL2, {fam.a, 1}, {fam.b, 2}, Span(data));
  ASSERT_NE(n, 0u);
  inner.erase(inner.begin(), inner.begin() + kEthHeaderBytes);
  inner.resize(n - kEthHeaderBytes);
  uint8_t type = GetParam() ? 1 : 3;
  Frame f = BuildAndParse([&](std::span<uint8_t> out) {
    return BuildIcmpError(out, kL2, fam.b, fam.a, type, 3, Span(inner), 1400);
  });
  ASSERT_EQ(f.l4, GetParam() ? L4::kIcmpv6 : L4::kIcmp);
  EXPECT_EQ(f.icmp.type, type);
  EXPECT_EQ(f.icmp.code, 3);
  // Bounded by 1280 (IPv6) or 576 (IPv4) bytes of IP packet.
  EXPECT_EQ(f.ip_packet.size(), GetParam() ? 1280u : 576u);
  // The 4 "rest" bytes, then the start of the offending packet.
  ASSERT_GE(f.icmp.body.size(), 4u + 28u);
  const auto* body = reinterpret_cast<const uint8_t*>(f.icmp.body.data());
  EXPECT_EQ(body[2] << 8 | body[3], 1400);
  EXPECT_EQ(std::memcmp(body + 4, inner.data(), f.icmp.body.size() - 4), 0);
  EXPECT_TRUE(ChecksumsVerify(frame_));

  // A short offending packet is quoted whole.
  std::vector<uint8_t> small(inner.begin(), inner.begin() + 30);
  Frame g = BuildAndParse([&](std::span<uint8_t> out) {
    return BuildIcmpError(out, kL2, fam.b, fam.a, type, 1, Span(small));
  });
  EXPECT_EQ(g.icmp.body.size(), 4u + 30u);
  EXPECT_TRUE(ChecksumsVerify(frame_));
}

TEST_P(BuildTest, MixedFamiliesAreRefused) {
  Family fam = F();
  IpAddr other = GetParam() ? Ip("10.0.0.1") : Ip("fd00::1");
  std::vector<uint8_t> out(kMaxFrameBytes);
  EXPECT_EQ(BuildUdp(std::span<uint8_t>(out), kL2, {fam.a, 1}, {other, 2}, {}), 0u);
  EXPECT_EQ(BuildIcmpEcho(std::span<uint8_t>(out), kL2, fam.a, other, false, 1, 1, {}), 0u);
}

TEST_P(BuildTest, OversizedPayloadIsRefused) {
  Family fam = F();
  std::vector<uint8_t> out(kMaxFrameBytes + 100);
  std::vector<uint8_t> data(65536);
  EXPECT_EQ(BuildUdp(std::span<uint8_t>(out), kL2, {fam.a, 1}, {fam.b, 2}, Span(data)), 0u);
}

INSTANTIATE_TEST_SUITE_P(V4V6, BuildTest, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "v6" : "v4"; });

TEST(BuildArpTest, ReplyRoundTrips) {
  Mac gw{0x02, 0xaa, 0, 0, 0, 1}, zone{0x02, 0xbb, 0, 0, 0, 2};
  std::vector<uint8_t> out(64);
  size_t n = BuildArpReply(std::span<uint8_t>(out), gw, Ip("10.75.0.1"), zone, Ip("10.75.0.2"));
  ASSERT_EQ(n, 42u);
  out.resize(n);
  Frame f = MUST(ParseFrame(Span(out)));
  ASSERT_EQ(f.l3, L3::kArp);
  EXPECT_EQ(f.dst, zone);
  EXPECT_EQ(f.src, gw);
  EXPECT_EQ(f.arp.op, 2);
  EXPECT_EQ(f.arp.sender_mac, gw);
  EXPECT_EQ(f.arp.sender_ip, Ip("10.75.0.1"));
  EXPECT_EQ(f.arp.target_mac, zone);
  EXPECT_EQ(f.arp.target_ip, Ip("10.75.0.2"));
  std::vector<uint8_t> small(41);
  EXPECT_EQ(BuildArpReply(std::span<uint8_t>(small), gw, Ip("10.75.0.1"), zone, Ip("10.0.0.2")),
            0u);
  EXPECT_EQ(BuildArpReply(std::span<uint8_t>(out), gw, Ip("fd00::1"), zone, Ip("10.0.0.2")), 0u);
}

TEST(BuildNdpTest, NeighborAdvertRoundTrips) {
  L2Addrs l2{{0x02, 0xaa, 0, 0, 0, 1}, {0x02, 0xbb, 0, 0, 0, 2}};
  std::vector<uint8_t> out(128);
  size_t n = BuildNeighborAdvert(std::span<uint8_t>(out), l2, Ip("fd00::1"), Ip("fd00::2"),
                                 Ip("fd00::1"), true);
  ASSERT_NE(n, 0u);
  out.resize(n);
  Frame f = MUST(ParseFrame(Span(out)));
  ASSERT_EQ(f.l4, L4::kIcmpv6);
  EXPECT_EQ(f.ttl, 255);  // RFC 4861 7.1.2
  EXPECT_EQ(f.icmp.type, 136);
  EXPECT_EQ(f.icmp.nd_target, Ip("fd00::1"));
  EXPECT_EQ(f.icmp.nd_lladdr, l2.src);
  const auto* body = reinterpret_cast<const uint8_t*>(f.icmp.body.data());
  EXPECT_EQ(body[0], 0x80 | 0x40 | 0x20);  // router, solicited, override
  EXPECT_TRUE(ChecksumsVerify(out));

  // To all-nodes (a DAD answer): not solicited.
  out.assign(128, 0);
  n = BuildNeighborAdvert(std::span<uint8_t>(out), l2, Ip("fd00::1"), Ip("ff02::1"), Ip("fd00::1"),
                          false);
  ASSERT_NE(n, 0u);
  out.resize(n);
  EXPECT_EQ(out[54 + 4], 0x20);
  EXPECT_TRUE(ChecksumsVerify(out));
  std::vector<uint8_t> small(n - 1);
  EXPECT_EQ(BuildNeighborAdvert(std::span<uint8_t>(small), l2, Ip("fd00::1"), Ip("ff02::1"),
                                Ip("fd00::1"), false),
            0u);
}

TEST(ChecksumTest, Rfc1071Example) {
  // RFC 1071 1.3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (folded).
  std::vector<uint8_t> d{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(ChecksumPartial(Span(d)), 0xddf2u);
  EXPECT_EQ(ChecksumFinish(ChecksumPartial(Span(d))), 0x220d);
  // Chaining on an even boundary equals one pass.
  std::vector<uint8_t> a(d.begin(), d.begin() + 4), b(d.begin() + 4, d.end());
  EXPECT_EQ(ChecksumPartial(Span(b), ChecksumPartial(Span(a))), 0xddf2u);
  // Odd length: the last byte is the high half of a word.
  std::vector<uint8_t> odd{0x01};
  EXPECT_EQ(ChecksumPartial(Span(odd)), 0x0100u);
}

class FixTest : public ::testing::TestWithParam<bool> {};

TEST_P(FixTest, RecomputesCorruptedChecksums) {
  IpAddr a = GetParam() ? Ip("fd00::2") : Ip("10.75.0.2");
  IpAddr b = GetParam() ? Ip("fd00::3") : Ip("10.75.0.3");
  std::string data = "payload";
  std::vector<uint8_t> buf(kMaxFrameBytes);
  std::span<uint8_t> out(buf);
  std::vector<std::vector<uint8_t>> frames;
  std::vector<size_t> csum_offs;
  auto keep = [&](size_t n, size_t off) {
    ASSERT_NE(n, 0u);
    frames.emplace_back(buf.begin(), buf.begin() + static_cast<long>(n));
    csum_offs.push_back(off);
  };
  TcpSegment ack;
  ack.flags = tcpflag::kAck;
  keep(BuildTcp(out, kL2, {a, 1}, {b, 2}, ack, Span(data)), 16);
  keep(BuildUdp(out, kL2, {a, 1}, {b, 2}, Span(data)), 6);
  if (GetParam()) keep(BuildIcmpEcho(out, kL2, a, b, false, 1, 2, Span(data)), 2);
  size_t l4 = kEthHeaderBytes + (GetParam() ? 40 : 20);
  for (size_t i = 0; i < frames.size(); ++i) {
    std::vector<uint8_t> good = frames[i];
    std::vector<uint8_t> bad = good;
    bad[l4 + csum_offs[i]] ^= 0x5a;  // a partial checksum from offload, say
    EXPECT_FALSE(ChecksumsVerify(bad));
    EXPECT_TRUE(FixL4Checksum(std::span<uint8_t>(bad)));
    EXPECT_EQ(bad, good) << i;
  }
}

TEST_P(FixTest, RefusesOtherFrames) {
  IpAddr a = GetParam() ? Ip("fd00::2") : Ip("10.75.0.2");
  std::vector<uint8_t> buf(256);
  if (!GetParam()) {
    // ICMPv4 is not handled (no offload produces partial ICMPv4 checksums).
    size_t n = BuildIcmpEcho(std::span<uint8_t>(buf), kL2, a, a, false, 1, 2, {});
    buf.resize(n);
    std::vector<uint8_t> copy = buf;
    EXPECT_FALSE(FixL4Checksum(std::span<uint8_t>(buf)));
    EXPECT_EQ(buf, copy);
  }
  std::vector<uint8_t> garbage(10, 0xff);
  EXPECT_FALSE(FixL4Checksum(std::span<uint8_t>(garbage)));
}

TEST(FixUdpTest, ZeroChecksumIsWrittenAsAllOnes) {
  // Find a payload whose UDP checksum computes to zero: vary two payload bytes until the
  // sum lands there, then check FixL4Checksum writes 0xffff.
  std::vector<uint8_t> buf(256);
  IpAddr a = Ip("10.0.0.1"), b = Ip("10.0.0.2");
  std::vector<uint8_t> data(2, 0);
  for (uint32_t v = 0; v <= 0xffff; ++v) {
    data[0] = static_cast<uint8_t>(v >> 8);
    data[1] = static_cast<uint8_t>(v);
    size_t n = BuildUdp(std::span<uint8_t>(buf), kL2, {a, 1}, {b, 2}, Span(data));
    ASSERT_EQ(n, 14u + 20u + 10u);
    uint16_t c = static_cast<uint16_t>(buf[40] << 8 | buf[41]);
    if (c != 0xffff) continue;
    // 0xffff is either a real 0xffff or a zero written as all ones: ChecksumsVerify accepts
    // both (they are the same in ones' complement).
    EXPECT_TRUE(ChecksumsVerify(std::vector<uint8_t>(buf.begin(), buf.begin() + 44)));
    buf[40] = buf[41] = 0x12;
    std::span<uint8_t> frame(buf.data(), n);
    ASSERT_TRUE(FixL4Checksum(frame));
    EXPECT_EQ(buf[40], 0xff);
    EXPECT_EQ(buf[41], 0xff);
    return;
  }
  FAIL() << "no payload gave checksum 0xffff";
}

INSTANTIATE_TEST_SUITE_P(V4V6, FixTest, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "v6" : "v4"; });

}  // namespace
}  // namespace krata::net
