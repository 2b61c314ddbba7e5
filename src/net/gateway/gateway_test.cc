#include "net/gateway/gateway.h"

#include <gtest/gtest.h>

#include <vector>

#include "net/packet/build.h"
#include "net/packet/testing.h"

namespace krata::net {
namespace {

using testing::ChecksumsVerify;
using testing::Span;

IpAddr Ip(std::string_view s) { return MUST(ParseIp(s)); }

const Mac kGwMac{0x02, 0x6b, 0x72, 0, 0, 1};
const Mac kZoneMac{0x02, 0x6b, 0x72, 0, 0, 2};

class FakePort : public ZonePort {
 public:
  FakePort() {
    zone_.name = "zone-a";
    zone_.mac = kZoneMac;
    zone_.ip4 = Ip("10.75.0.2");
    zone_.ip6 = Ip("fdd4:1476:6c7e::2");
    gw_.mac = kGwMac;
    gw_.ip4 = Ip("10.75.0.1");
    gw_.ip6 = Ip("fdd4:1476:6c7e::1");
    gw_.subnet4 = MUST(ParseSubnet("10.75.0.0/16"));
    gw_.subnet6 = MUST(ParseSubnet("fdd4:1476:6c7e::/48"));
  }
  const ZoneAddrs& zone() const override { return zone_; }
  const GatewayConfig& gateway() const override { return gw_; }
  bool SendToZone(ByteSpan frame) override {
    const auto* p = reinterpret_cast<const uint8_t*>(frame.data());
    sent.emplace_back(p, p + frame.size());
    return accept;
  }

  ZoneAddrs zone_;
  GatewayConfig gw_;
  std::vector<std::vector<uint8_t>> sent;
  bool accept = true;
};

class GatewayTest : public ::testing::Test {
 protected:
  // Parses `frame` and offers it to the gateway.
  bool Offer(const std::vector<uint8_t>& frame) {
    Result<Frame> f = ParseFrame(Span(frame));
    EXPECT_TRUE(f.has_value());
    return f.has_value() && AnswerAsGateway(*f, port_);
  }
  Frame Sent(size_t i) { return MUST(ParseFrame(Span(port_.sent.at(i)))); }

  std::vector<uint8_t> ArpRequest(const IpAddr& sender, const IpAddr& target, uint16_t op = 1) {
    // An ARP reply has the request's layout but for the opcode.
    std::vector<uint8_t> f(42);
    EXPECT_EQ(BuildArpReply(std::span<uint8_t>(f), kZoneMac, sender, Mac{}, target), 42u);
    f[0] = f[1] = f[2] = f[3] = f[4] = f[5] = 0xff;
    f[21] = static_cast<uint8_t>(op);
    return f;
  }

  std::vector<uint8_t> Echo(const IpAddr& src, const IpAddr& dst, std::string_view data,
                            bool reply = false) {
    std::vector<uint8_t> f(256);
    size_t n = BuildIcmpEcho(std::span<uint8_t>(f), {kZoneMac, kGwMac}, src, dst, reply, 0x77, 3,
                             Span(data));
    f.resize(n);
    return f;
  }

  // A neighbour solicitation for `target` with a source link-layer option (unless `src` is
  // ::), built from an advertisement's layout.
  std::vector<uint8_t> Solicit(const IpAddr& src, const IpAddr& dst, const IpAddr& target,
                               uint8_t hop_limit = 255) {
    std::vector<uint8_t> f(256);
    size_t n = BuildNeighborAdvert(std::span<uint8_t>(f), {kZoneMac, {0x33, 0x33, 0xff, 0, 0, 1}},
                                   src, dst, target, false);
    f.resize(n);
    constexpr size_t icmp = kEthHeaderBytes + 40;
    f[kEthHeaderBytes + 7] = hop_limit;
    f[icmp] = 135;
    f[icmp + 4] = 0;
    if (src.IsUnspecified()) {
      f.resize(f.size() - 8);  // RFC 4861 4.3: no source link-layer option from ::
      f[kEthHeaderBytes + 5] = 24;
    } else {
      f[icmp + 24] = 1;  // source link-layer address (the NA put the zone's MAC there)
    }
    EXPECT_TRUE(FixL4Checksum(std::span<uint8_t>(f)));
    return f;
  }

  FakePort port_;
};

TEST_F(GatewayTest, AnswersArpForGatewayFromZone) {
  EXPECT_TRUE(Offer(ArpRequest(port_.zone_.ip4, port_.gw_.ip4)));
  ASSERT_EQ(port_.sent.size(), 1u);
  Frame r = Sent(0);
  ASSERT_EQ(r.l3, L3::kArp);
  EXPECT_EQ(r.dst, kZoneMac);
  EXPECT_EQ(r.src, kGwMac);
  EXPECT_EQ(r.arp.op, 2);
  EXPECT_EQ(r.arp.sender_mac, kGwMac);
  EXPECT_EQ(r.arp.sender_ip, port_.gw_.ip4);
  EXPECT_EQ(r.arp.target_mac, kZoneMac);
  EXPECT_EQ(r.arp.target_ip, port_.zone_.ip4);
}

TEST_F(GatewayTest, ArpFromOtherSenderIsConsumedSilently) {
  EXPECT_TRUE(Offer(ArpRequest(Ip("10.75.0.99"), port_.gw_.ip4)));
  EXPECT_TRUE(Offer(ArpRequest(Ip("0.0.0.0"), port_.gw_.ip4)));  // a probe
  EXPECT_TRUE(port_.sent.empty());
}

TEST_F(GatewayTest, ArpReplyToGatewayIsConsumedSilently) {
  EXPECT_TRUE(Offer(ArpRequest(port_.zone_.ip4, port_.gw_.ip4, 2)));
  EXPECT_TRUE(port_.sent.empty());
}

TEST_F(GatewayTest, ArpForOtherAddressesIsNotOurs) {
  EXPECT_FALSE(Offer(ArpRequest(port_.zone_.ip4, Ip("10.75.0.3"))));
  EXPECT_FALSE(Offer(ArpRequest(port_.zone_.ip4, port_.zone_.ip4)));  // gratuitous
  EXPECT_TRUE(port_.sent.empty());
}

TEST_F(GatewayTest, AnswersPingV4) {
  EXPECT_TRUE(Offer(Echo(port_.zone_.ip4, port_.gw_.ip4, "ping data!")));
  ASSERT_EQ(port_.sent.size(), 1u);
  Frame r = Sent(0);
  ASSERT_EQ(r.l4, L4::kIcmp);
  EXPECT_EQ(r.dst, kZoneMac);
  EXPECT_EQ(r.src, kGwMac);
  EXPECT_EQ(r.ip_src, port_.gw_.ip4);
  EXPECT_EQ(r.ip_dst, port_.zone_.ip4);
  EXPECT_EQ(r.icmp.type, 0);
  EXPECT_EQ(r.icmp.id, 0x77);
  EXPECT_EQ(r.icmp.seq, 3);
  EXPECT_EQ(AsChars(r.icmp.body.subspan(4)), "ping data!");
  EXPECT_TRUE(ChecksumsVerify(port_.sent[0]));
}

TEST_F(GatewayTest, AnswersPingV6) {
  EXPECT_TRUE(Offer(Echo(port_.zone_.ip6, port_.gw_.ip6, "")));
  EXPECT_TRUE(Offer(Echo(port_.zone_.ip6, port_.gw_.ip6, "123456789")));
  ASSERT_EQ(port_.sent.size(), 2u);
  Frame r = Sent(1);
  ASSERT_EQ(r.l4, L4::kIcmpv6);
  EXPECT_EQ(r.dst, kZoneMac);
  EXPECT_EQ(r.ip_src, port_.gw_.ip6);
  EXPECT_EQ(r.ip_dst, port_.zone_.ip6);
  EXPECT_EQ(r.icmp.type, 129);
  EXPECT_EQ(r.icmp.id, 0x77);
  EXPECT_EQ(r.icmp.seq, 3);
  EXPECT_EQ(AsChars(r.icmp.body.subspan(4)), "123456789");
  EXPECT_TRUE(ChecksumsVerify(port_.sent[0]));
  EXPECT_TRUE(ChecksumsVerify(port_.sent[1]));
}

TEST_F(GatewayTest, OtherIcmpToGatewayIsConsumedSilently) {
  EXPECT_TRUE(Offer(Echo(port_.zone_.ip4, port_.gw_.ip4, "x", true)));  // echo reply
  EXPECT_TRUE(Offer(Echo(port_.zone_.ip6, port_.gw_.ip6, "x", true)));
  std::vector<uint8_t> err(512);
  size_t n = BuildIcmpError(std::span<uint8_t>(err), {kZoneMac, kGwMac}, port_.zone_.ip4,
                            port_.gw_.ip4, 3, 3, {});
  err.resize(n);
  EXPECT_TRUE(Offer(err));
  // A fragmented ping is not reassembled.
  std::vector<uint8_t> frag = Echo(port_.zone_.ip4, port_.gw_.ip4, "abc");
  frag[kEthHeaderBytes + 6] = 0x20;  // MF
  EXPECT_TRUE(Offer(frag));
  EXPECT_TRUE(port_.sent.empty());
}

TEST_F(GatewayTest, PingElsewhereIsNotOurs) {
  EXPECT_FALSE(Offer(Echo(port_.zone_.ip4, Ip("192.0.2.1"), "x")));
  EXPECT_FALSE(Offer(Echo(port_.zone_.ip4, Ip("10.75.0.3"), "x")));
  EXPECT_FALSE(Offer(Echo(port_.zone_.ip6, Ip("2001:db8::1"), "x")));
  EXPECT_TRUE(port_.sent.empty());
}

TEST_F(GatewayTest, TcpAndUdpToGatewayAreNotOurs) {
  std::vector<uint8_t> f(256);
  for (const auto& [src, dst] :
       {std::pair{port_.zone_.ip4, port_.gw_.ip4}, std::pair{port_.zone_.ip6, port_.gw_.ip6}}) {
    size_t n =
        BuildUdp(std::span<uint8_t>(f), {kZoneMac, kGwMac}, {src, 5000}, {dst, 53}, AsBytes("q"));
    EXPECT_FALSE(Offer(std::vector<uint8_t>(f.begin(), f.begin() + static_cast<long>(n))));
    TcpSegment syn;
    syn.flags = tcpflag::kSyn;
    n = BuildTcp(std::span<uint8_t>(f), {kZoneMac, kGwMac}, {src, 5000}, {dst, 80}, syn, {});
    EXPECT_FALSE(Offer(std::vector<uint8_t>(f.begin(), f.begin() + static_cast<long>(n))));
  }
  EXPECT_TRUE(port_.sent.empty());
}

void ExpectAdvert(const std::vector<uint8_t>& bytes, const IpAddr& dst, const Mac& dst_mac,
                  bool solicited, const FakePort& port) {
  Frame r = MUST(ParseFrame(Span(bytes)));
  ASSERT_EQ(r.l4, L4::kIcmpv6);
  EXPECT_EQ(r.icmp.type, 136);
  EXPECT_EQ(r.ttl, 255);
  EXPECT_EQ(r.dst, dst_mac);
  EXPECT_EQ(r.src, kGwMac);
  EXPECT_EQ(r.ip_src, port.gw_.ip6);
  EXPECT_EQ(r.ip_dst, dst);
  EXPECT_EQ(r.icmp.nd_target, port.gw_.ip6);
  EXPECT_EQ(r.icmp.nd_lladdr, kGwMac);
  uint8_t flags = static_cast<uint8_t>(r.icmp.body[0]);
  EXPECT_EQ(flags, solicited ? 0xe0 : 0xa0);  // router, (solicited), override
  EXPECT_TRUE(ChecksumsVerify(bytes));
}

TEST_F(GatewayTest, AnswersSolicitationToSolicitedNodeGroup) {
  EXPECT_TRUE(Offer(Solicit(port_.zone_.ip6, Ip("ff02::1:ff00:1"), port_.gw_.ip6)));
  ASSERT_EQ(port_.sent.size(), 1u);
  ExpectAdvert(port_.sent[0], port_.zone_.ip6, kZoneMac, true, port_);
}

TEST_F(GatewayTest, AnswersUnicastSolicitationFromLinkLocal) {
  IpAddr ll = Ip("fe80::6b:72ff:fe00:2");
  EXPECT_TRUE(Offer(Solicit(ll, port_.gw_.ip6, port_.gw_.ip6)));
  ASSERT_EQ(port_.sent.size(), 1u);
  ExpectAdvert(port_.sent[0], ll, kZoneMac, true, port_);
}

TEST_F(GatewayTest, AnswersDadToAllNodes) {
  EXPECT_TRUE(Offer(Solicit(Ip("::"), Ip("ff02::1:ff00:1"), port_.gw_.ip6)));
  ASSERT_EQ(port_.sent.size(), 1u);
  ExpectAdvert(port_.sent[0], Ip("ff02::1"), Mac{0x33, 0x33, 0, 0, 0, 1}, false, port_);
}

TEST_F(GatewayTest, IgnoresInvalidSolicitation) {
  // RFC 4861 7.1.1: hop limit must be 255.
  EXPECT_TRUE(Offer(Solicit(port_.zone_.ip6, Ip("ff02::1:ff00:1"), port_.gw_.ip6, 64)));
  EXPECT_TRUE(port_.sent.empty());
}

TEST_F(GatewayTest, SolicitationForOtherAddressIsNotOurs) {
  // Another zone's address (its DAD, or a zone resolving a neighbour): the switch's business.
  EXPECT_FALSE(Offer(Solicit(port_.zone_.ip6, Ip("ff02::1:ff00:3"), Ip("fdd4:1476:6c7e::3"))));
  EXPECT_FALSE(Offer(Solicit(Ip("::"), Ip("ff02::1:ff00:2"), port_.zone_.ip6)));
  // Even in the gateway's own solicited-node group (same low 24 bits).
  EXPECT_FALSE(Offer(Solicit(port_.zone_.ip6, Ip("ff02::1:ff00:1"), Ip("fdd4:1476:6c7e:1::1"))));
  // But unicast to the gateway it is consumed.
  EXPECT_TRUE(Offer(Solicit(port_.zone_.ip6, port_.gw_.ip6, Ip("fdd4:1476:6c7e::3"))));
  EXPECT_TRUE(port_.sent.empty());
}

TEST_F(GatewayTest, RouterSolicitationIsConsumedSilently) {
  std::vector<uint8_t> f = Solicit(port_.zone_.ip6, Ip("ff02::2"), port_.gw_.ip6);
  f[kEthHeaderBytes + 40] = 133;
  EXPECT_TRUE(Offer(f));
  EXPECT_TRUE(port_.sent.empty());
}

TEST_F(GatewayTest, CongestedLinkStillConsumes) {
  port_.accept = false;
  EXPECT_TRUE(Offer(Echo(port_.zone_.ip4, port_.gw_.ip4, "x")));
  EXPECT_EQ(port_.sent.size(), 1u);
}

TEST_F(GatewayTest, UnconfiguredFamilyIsNotOurs) {
  port_.gw_.ip6 = IpAddr{};
  EXPECT_FALSE(Offer(Echo(port_.zone_.ip6, Ip("fdd4:1476:6c7e::1"), "x")));
  EXPECT_FALSE(Offer(Solicit(port_.zone_.ip6, Ip("ff02::1:ff00:1"), Ip("fdd4:1476:6c7e::1"))));
  port_.gw_.ip4 = IpAddr{};
  EXPECT_FALSE(Offer(ArpRequest(port_.zone_.ip4, Ip("0.0.0.0"))));
  EXPECT_TRUE(port_.sent.empty());
}

TEST_F(GatewayTest, NonIpFramesAreNotOurs) {
  std::vector<uint8_t> f(60, 0);
  f[12] = 0x88;  // some other ethertype (LLDP)
  f[13] = 0xcc;
  EXPECT_FALSE(Offer(f));
}

}  // namespace
}  // namespace krata::net
