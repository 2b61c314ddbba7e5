#include "net/packet/addr.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>
#include <unordered_set>

namespace krata::net {
namespace {

IpAddr Ip(std::string_view s) { return MUST(ParseIp(s)); }

TEST(AddrTest, ParseIpRoundTrips) {
  for (std::string_view s : {"10.75.0.1", "0.0.0.0", "255.255.255.255", "fd00::1",
                             "::", "2001:db8::ab:cd", "ff02::1:ff00:1"}) {
    Result<IpAddr> ip = ParseIp(s);
    ASSERT_TRUE(ip.has_value()) << s;
    EXPECT_EQ(ToString(*ip), s);
  }
  EXPECT_FALSE(Ip("10.0.0.1").v6);
  EXPECT_TRUE(Ip("fd00::1").v6);
  EXPECT_EQ(Ip("10.1.2.3"), IpAddr::V4(10, 1, 2, 3));
}

TEST(AddrTest, ParseIpRejectsGarbage) {
  for (std::string_view s : std::initializer_list<std::string_view>{
           "", "10.0.0", "10.0.0.256", "1.2.3.4 ", "fd00::1::2", "hello", "10.0.0.1/8",
           std::string_view("1.2.3.4\0", 8), "1234:1234:1234:1234:1234:1234:1234:1234:1234"}) {
    EXPECT_FALSE(ParseIp(s).has_value()) << s;
  }
}

TEST(AddrTest, V4KeepsTailZeroSoComparisonWorks) {
  IpAddr a = Ip("10.0.0.1");
  for (size_t i = 4; i < 16; ++i) EXPECT_EQ(a.b[i], 0);
  EXPECT_NE(a, Ip("::a00:1"));  // same bytes, other family
}

TEST(AddrTest, ParseSubnetAndCidr) {
  Subnet s = MUST(ParseSubnet("10.75.0.0/16"));
  EXPECT_EQ(s.base, Ip("10.75.0.0"));
  EXPECT_EQ(s.prefix, 16);
  EXPECT_EQ(ToString(s), "10.75.0.0/16");
  EXPECT_EQ(ToString(MUST(ParseSubnet("fdd4:1476:6c7e::/48"))), "fdd4:1476:6c7e::/48");
  EXPECT_FALSE(ParseSubnet("10.75.0.3/16").has_value());  // host bits
  EXPECT_FALSE(ParseSubnet("10.75.0.0/33").has_value());
  EXPECT_FALSE(ParseSubnet("10.75.0.0").has_value());
  EXPECT_FALSE(ParseSubnet("10.75.0.0/").has_value());
  EXPECT_FALSE(ParseSubnet("10.75.0.0/1x").has_value());
  EXPECT_FALSE(ParseSubnet("fd00::/129").has_value());
  EXPECT_TRUE(ParseSubnet("fd00::/128").has_value());
  EXPECT_TRUE(ParseSubnet("10.128.0.0/9").has_value());
  EXPECT_FALSE(ParseSubnet("10.192.0.0/9").has_value());

  auto [ip, prefix] = MUST(ParseCidr("10.75.0.3/16"));
  EXPECT_EQ(ip, Ip("10.75.0.3"));
  EXPECT_EQ(prefix, 16);
  auto [ip6, prefix6] = MUST(ParseCidr("fdd4:1476:6c7e::3/48"));
  EXPECT_EQ(ip6, Ip("fdd4:1476:6c7e::3"));
  EXPECT_EQ(prefix6, 48);
  EXPECT_FALSE(ParseCidr("10.75.0.3").has_value());
}

TEST(AddrTest, SubnetContains) {
  Subnet all4 = MUST(ParseSubnet("0.0.0.0/0"));
  EXPECT_TRUE(all4.Contains(Ip("1.2.3.4")));
  EXPECT_FALSE(all4.Contains(Ip("::1")));  // across families
  Subnet s16 = MUST(ParseSubnet("10.75.0.0/16"));
  EXPECT_TRUE(s16.Contains(Ip("10.75.255.1")));
  EXPECT_FALSE(s16.Contains(Ip("10.76.0.1")));
  Subnet s9 = MUST(ParseSubnet("10.128.0.0/9"));
  EXPECT_TRUE(s9.Contains(Ip("10.200.0.1")));
  EXPECT_FALSE(s9.Contains(Ip("10.127.0.1")));
  Subnet s48 = MUST(ParseSubnet("fdd4:1476:6c7e::/48"));
  EXPECT_TRUE(s48.Contains(Ip("fdd4:1476:6c7e:ffff::1")));
  EXPECT_FALSE(s48.Contains(Ip("fdd4:1476:6c7f::1")));
  EXPECT_FALSE(s48.Contains(Ip("10.0.0.1")));
  Subnet s128 = MUST(ParseSubnet("fd00::5/128"));
  EXPECT_TRUE(s128.Contains(Ip("fd00::5")));
  EXPECT_FALSE(s128.Contains(Ip("fd00::4")));
  Subnet all6 = MUST(ParseSubnet("::/0"));
  EXPECT_TRUE(all6.Contains(Ip("2001:db8::1")));
}

TEST(AddrTest, MulticastAndUnspecified) {
  EXPECT_TRUE(Ip("224.0.0.1").IsMulticast());
  EXPECT_TRUE(Ip("239.255.255.255").IsMulticast());
  EXPECT_TRUE(Ip("255.255.255.255").IsMulticast());
  EXPECT_FALSE(Ip("10.0.0.1").IsMulticast());
  EXPECT_TRUE(Ip("ff02::1").IsMulticast());
  EXPECT_FALSE(Ip("fd00::1").IsMulticast());
  EXPECT_TRUE(Ip("0.0.0.0").IsUnspecified());
  EXPECT_TRUE(Ip("::").IsUnspecified());
  EXPECT_FALSE(Ip("::1").IsUnspecified());
}

TEST(AddrTest, ParseMac) {
  Mac m = MUST(ParseMac("02:ab:CD:ef:01:23"));
  EXPECT_EQ(m, (Mac{0x02, 0xab, 0xcd, 0xef, 0x01, 0x23}));
  EXPECT_EQ(ToString(m), "02:ab:cd:ef:01:23");
  for (std::string_view s : {"", "02:ab:cd:ef:01", "02:ab:cd:ef:01:23:", "02-ab-cd-ef-01-23",
                             "02:ab:cd:ef:01:2g", "002:ab:cd:ef:01:2"}) {
    EXPECT_FALSE(ParseMac(s).has_value()) << s;
  }
}

TEST(AddrTest, EndpointToString) {
  EXPECT_EQ(ToString(Endpoint{Ip("10.0.0.1"), 80}), "10.0.0.1:80");
  EXPECT_EQ(ToString(Endpoint{Ip("fd00::1"), 443}), "[fd00::1]:443");
}

TEST(AddrTest, SockaddrRoundTrip) {
  for (Endpoint e : {Endpoint{Ip("10.1.2.3"), 8080}, Endpoint{Ip("fd00::9"), 53}}) {
    sockaddr_storage ss;
    socklen_t len = ToSockaddr(e, &ss);
    EXPECT_EQ(len, e.ip.v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    Endpoint back = MUST(FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len));
    EXPECT_EQ(back, e);
  }
}

TEST(AddrTest, FromSockaddrUnmapsV4MappedV6) {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(1234);
  ASSERT_EQ(inet_pton(AF_INET6, "::ffff:192.0.2.7", &sin6.sin6_addr), 1);
  Endpoint e = MUST(FromSockaddr(reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6)));
  EXPECT_FALSE(e.ip.v6);
  EXPECT_EQ(e.ip, Ip("192.0.2.7"));
  EXPECT_EQ(e.port, 1234);
}

TEST(AddrTest, FromSockaddrRejectsShortOrForeign) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  EXPECT_FALSE(FromSockaddr(reinterpret_cast<sockaddr*>(&sin), sizeof(sin) - 1).has_value());
  sockaddr_storage ss{};
  ss.ss_family = AF_UNIX;
  EXPECT_FALSE(FromSockaddr(reinterpret_cast<sockaddr*>(&ss), sizeof(ss)).has_value());
}

TEST(AddrTest, EndpointHashSeparatesEndpoints) {
  std::unordered_set<Endpoint, EndpointHash> set;
  set.insert({Ip("10.0.0.1"), 1});
  set.insert({Ip("10.0.0.1"), 2});
  set.insert({Ip("10.0.0.2"), 1});
  set.insert({Ip("10.0.0.1"), 1});
  EXPECT_EQ(set.size(), 3u);
  EXPECT_NE(EndpointHash{}({Ip("10.0.0.1"), 1}), EndpointHash{}({Ip("10.0.0.1"), 2}));
}

}  // namespace
}  // namespace krata::net
