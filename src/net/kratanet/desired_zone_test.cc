#include "net/kratanet/desired_zone.h"

#include <gtest/gtest.h>

namespace krata::net::kratanet {
namespace {

TEST(KratanetPortForwardTest, Parses) {
  PortForward f = *ParsePortForward("8080:80");
  EXPECT_EQ(f.host_port, 8080);
  EXPECT_EQ(f.zone_port, 80);
  EXPECT_FALSE(f.udp);
  EXPECT_TRUE(ParsePortForward("5353:53/udp")->udp);
  EXPECT_FALSE(ParsePortForward("1:2/tcp")->udp);
  EXPECT_EQ(ToString(*ParsePortForward("5353:53/udp")), "5353:53/udp");
  for (std::string_view bad :
       {"80", "0:80", "80:0", "70000:80", ":80", "80:", "80:80/sctp", "a:b", "80:80/"}) {
    EXPECT_FALSE(ParsePortForward(bad).has_value()) << bad;
  }
}

TEST(KratanetZoneSpecTest, ParsesLinkAddressesAndForwards) {
  Result<DesiredZone> z =
      ParseZoneSpec("kn-z0,02:00:00:00:00:10,10.75.0.10/16,fdd4::10,8080:80,5353:53/udp");
  ASSERT_TRUE(z.has_value()) << z.error().ToString();
  EXPECT_EQ(z->id, "kn-z0");
  EXPECT_EQ(z->ifname, "kn-z0");
  EXPECT_EQ(z->addrs.name, "kn-z0");
  EXPECT_EQ(ToString(z->addrs.mac), "02:00:00:00:00:10");
  EXPECT_EQ(ToString(z->addrs.ip4), "10.75.0.10");
  EXPECT_EQ(ToString(z->addrs.ip6), "fdd4::10");
  ASSERT_EQ(z->forwards.size(), 2u);
  EXPECT_EQ(z->forwards[1].host_port, 5353);
  EXPECT_TRUE(z->forwards[1].udp);
}

TEST(KratanetZoneSpecTest, Rejects) {
  for (std::string_view bad :
       {"", "eth0", "eth0,02:00:00:00:00:10,10.0.0.2", "eth0,zz,10.0.0.2,fd00::2",
        "eth0,02:00:00:00:00:10,fd00::2,10.0.0.2", "a/b,02:00:00:00:00:10,10.0.0.2,fd00::2",
        "averyveryverylongname,02:00:00:00:00:10,10.0.0.2,fd00::2",
        ",02:00:00:00:00:10,10.0.0.2,fd00::2", "eth0,02:00:00:00:00:10,10.0.0.2,fd00::2,80"}) {
    EXPECT_FALSE(ParseZoneSpec(bad).has_value()) << bad;
  }
}

TEST(KratanetAddressInSubnetTest, ClearsHostBits) {
  auto [ip, subnet] = *ParseAddressInSubnet("10.75.3.1/16");
  EXPECT_EQ(ToString(ip), "10.75.3.1");
  EXPECT_EQ(ToString(subnet), "10.75.0.0/16");
  auto [ip6, subnet6] = *ParseAddressInSubnet("fdd4:1476:6c7e:ffff::1/49");
  EXPECT_EQ(ToString(subnet6), "fdd4:1476:6c7e:8000::/49");
  EXPECT_TRUE(subnet6.Contains(ip6));
  EXPECT_FALSE(ParseAddressInSubnet("10.75.3.1").has_value());
}

TEST(KratanetSameAttachmentTest, LabelDoesNotMatterForwardsDo) {
  DesiredZone a = *ParseZoneSpec("z,02:00:00:00:00:10,10.0.0.2,fd00::2,80:80");
  DesiredZone b = a;
  b.label = "other";
  EXPECT_TRUE(SameAttachment(a, b));
  b.forwards[0].udp = true;
  EXPECT_FALSE(SameAttachment(a, b));
  b = a;
  b.ifname = "vif9.0";
  EXPECT_FALSE(SameAttachment(a, b));
}

}  // namespace
}  // namespace krata::net::kratanet
