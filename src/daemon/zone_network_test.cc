#include "daemon/zone_network.h"

#include <gtest/gtest.h>

#include <cstring>

namespace krata::daemon {
namespace {

net::IpAddr Ip(const char* text) { return MUST(net::ParseIp(text)); }

TEST(ZoneNetwork, PlanPlacesGatewayAndHost) {
  HostNetwork n = MUST(PlanHostNetwork(NetworkOptions{}));
  EXPECT_EQ(net::ToString(n.ipv4), "10.75.0.0/16");
  EXPECT_EQ(net::ToString(n.ipv6), "fdd4:1476:6c7e::/48");
  EXPECT_EQ(net::ToString(n.gateway4), "10.75.0.1");
  EXPECT_EQ(net::ToString(n.host4), "10.75.0.2");
  EXPECT_EQ(net::ToString(n.gateway6), "fdd4:1476:6c7e::1");
  EXPECT_EQ(net::ToString(n.host6), "fdd4:1476:6c7e::2");
  EXPECT_EQ(n.mtu, 1500u);
}

TEST(ZoneNetwork, PlanRefusesBadSubnets) {
  auto refused = [](std::string v4, std::string v6, const char* needle) {
    NetworkOptions o;
    o.ipv4_subnet = std::move(v4);
    o.ipv6_subnet = std::move(v6);
    Result<HostNetwork> r = PlanHostNetwork(o);
    if (r.has_value()) return ::testing::AssertionFailure() << "accepted";
    if (r.error().ToString().find(needle) == std::string::npos) {
      return ::testing::AssertionFailure() << r.error().ToString();
    }
    return ::testing::AssertionSuccess();
  };
  const std::string v6 = "fd00::/64";
  EXPECT_TRUE(refused("10.75.0.1/16", v6, "host bits"));
  EXPECT_TRUE(refused("fd00::/64", v6, "--ipv4-subnet"));
  EXPECT_TRUE(refused("10.75.0.0/30", v6, "no room"));
  EXPECT_TRUE(refused("10.75.0.0/16", "10.76.0.0/16", "--ipv6-subnet"));
  EXPECT_TRUE(refused("10.75.0.0/16", "fd00::/126", "no room"));
  EXPECT_TRUE(refused("nonsense", v6, "--ipv4-subnet"));
  NetworkOptions o;
  o.ipv4_subnet = "10.75.0.0/29";
  o.ipv6_subnet = "fd00::/125";
  EXPECT_TRUE(PlanHostNetwork(o).has_value());
}

TEST(ZoneNetwork, SubnetAddressCarries) {
  net::Subnet s = MUST(net::ParseSubnet("10.75.0.0/16"));
  EXPECT_EQ(net::ToString(SubnetAddress(s, 3)), "10.75.0.3");
  EXPECT_EQ(net::ToString(SubnetAddress(s, 256)), "10.75.1.0");
  EXPECT_EQ(net::ToString(SubnetAddress(s, 65535)), "10.75.255.255");
  net::Subnet s6 = MUST(net::ParseSubnet("fdd4:1476:6c7e::/48"));
  EXPECT_EQ(net::ToString(SubnetAddress(s6, 0x10000)), "fdd4:1476:6c7e::1:0");
}

TEST(ZoneNetwork, LowestFreeSkipsUsedAndNeverTakesTheLastAddress) {
  net::Subnet s = MUST(net::ParseSubnet("10.75.0.0/29"));
  std::set<net::IpAddr> used;
  EXPECT_EQ(net::ToString(MUST(LowestFreeAddress(s, used))), "10.75.0.3");
  used = {Ip("10.75.0.3"), Ip("10.75.0.5")};
  EXPECT_EQ(net::ToString(MUST(LowestFreeAddress(s, used))), "10.75.0.4");
  used = {Ip("10.75.0.3"), Ip("10.75.0.4"), Ip("10.75.0.5"), Ip("10.75.0.6")};
  Result<net::IpAddr> full = LowestFreeAddress(s, used);  // .7 is the broadcast address
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().errno_value(), ENOSPC);
  EXPECT_NE(full.error().ToString().find("10.75.0.0/29"), std::string::npos);
  // A /16 crosses octets.
  net::Subnet big = MUST(net::ParseSubnet("10.75.0.0/16"));
  used.clear();
  for (int i = 3; i < 256; ++i) used.insert(SubnetAddress(big, static_cast<unsigned>(i)));
  EXPECT_EQ(net::ToString(MUST(LowestFreeAddress(big, used))), "10.75.1.0");
  net::Subnet v6 = MUST(net::ParseSubnet("fdd4:1476:6c7e::/48"));
  EXPECT_EQ(net::ToString(MUST(LowestFreeAddress(v6, {Ip("fdd4:1476:6c7e::3")}))),
            "fdd4:1476:6c7e::4");
}

TEST(ZoneNetwork, RandomMacIsLocalUnicastAndUnique) {
  // A source that repeats itself: the second MAC must differ from the first anyway.
  int calls = 0;
  RandomFn repeat = [&calls](uint8_t* out, size_t len) {
    std::memset(out, calls < 2 ? 0xff : 0x11, len);
    ++calls;
  };
  net::Mac first = RandomMac({}, repeat);
  EXPECT_EQ(net::ToString(first), "02:ff:ff:ff:ff:ff");
  net::Mac second = RandomMac({first}, repeat);
  EXPECT_EQ(net::ToString(second), "02:11:11:11:11:11");
  EXPECT_EQ(calls, 3);
  for (int i = 0; i < 64; ++i) {
    net::Mac m = RandomMac({}, KernelRandom);
    EXPECT_EQ(m[0], 0x02) << net::ToString(m);
  }
}

}  // namespace
}  // namespace krata::daemon
