#include "net/kratanet/zone_from_proto.h"

#include <gtest/gtest.h>

namespace krata::net::kratanet {
namespace {

namespace common = v1::common;

common::Zone RunningZone() {
  common::Zone z;
  z.set_id("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
  z.mutable_spec()->set_name("web");
  common::ZonePortForward* p = z.mutable_spec()->add_ports();
  p->set_host_port(8080);
  p->set_zone_port(80);
  p = z.mutable_spec()->add_ports();
  p->set_host_port(5353);
  p->set_zone_port(53);
  p->set_protocol(common::PORT_PROTOCOL_UDP);
  common::ZoneStatus* st = z.mutable_status();
  st->set_state(common::ZONE_STATE_CREATED);
  st->set_domid(7);
  common::ZoneNetworkStatus* n = st->mutable_network_status();
  n->set_zone_ipv4("10.75.0.3/16");
  n->set_zone_ipv6("fdd4:1476:6c7e::3/48");
  n->set_zone_mac("02:16:3e:00:00:03");
  return z;
}

TEST(KratanetZoneFromProtoTest, CreatedZoneWithNetwork) {
  Result<std::optional<DesiredZone>> d = DesiredFromProto(RunningZone());
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  ASSERT_TRUE(d->has_value());
  const DesiredZone& z = **d;
  EXPECT_EQ(z.id, "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
  EXPECT_EQ(z.addrs.name, z.id);
  EXPECT_EQ(z.label, "web (1b4e28ba-2fa1-11d2-883f-0016d3cca427)");
  EXPECT_EQ(z.ifname, "vif7.0");
  EXPECT_EQ(ToString(z.addrs.ip4), "10.75.0.3");
  EXPECT_EQ(ToString(z.addrs.ip6), "fdd4:1476:6c7e::3");
  EXPECT_EQ(ToString(z.addrs.mac), "02:16:3e:00:00:03");
  ASSERT_EQ(z.forwards.size(), 2u);
  EXPECT_EQ(ToString(z.forwards[0]), "8080:80/tcp");
  EXPECT_EQ(ToString(z.forwards[1]), "5353:53/udp");
}

TEST(KratanetZoneFromProtoTest, NotAttachedUnlessCreatedWithDomidAndNetwork) {
  common::Zone z = RunningZone();
  z.mutable_status()->set_state(common::ZONE_STATE_CREATING);
  EXPECT_FALSE(DesiredFromProto(z)->has_value());
  z = RunningZone();
  z.mutable_status()->set_state(common::ZONE_STATE_EXITED);
  EXPECT_FALSE(DesiredFromProto(z)->has_value());
  z = RunningZone();
  z.mutable_status()->set_domid(0);
  EXPECT_FALSE(DesiredFromProto(z)->has_value());
  z = RunningZone();
  z.mutable_status()->clear_network_status();
  EXPECT_FALSE(DesiredFromProto(z)->has_value());
}

TEST(KratanetZoneFromProtoTest, MalformedNetworkIsAnError) {
  common::Zone z = RunningZone();
  z.mutable_status()->mutable_network_status()->set_zone_ipv4("10.75.0.3");  // no prefix
  EXPECT_FALSE(DesiredFromProto(z).has_value());
  z = RunningZone();
  z.mutable_status()->mutable_network_status()->set_zone_ipv6("10.75.0.3/16");
  EXPECT_FALSE(DesiredFromProto(z).has_value());
  z = RunningZone();
  z.mutable_status()->mutable_network_status()->set_zone_mac("02:16:3e");
  EXPECT_FALSE(DesiredFromProto(z).has_value());
  z = RunningZone();
  z.mutable_spec()->mutable_ports(0)->set_host_port(70000);
  Result<std::optional<DesiredZone>> d = DesiredFromProto(z);
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().ToString().find("1b4e28ba"), std::string::npos);
}

v1::control::GetHostStatusReply HostStatus() {
  v1::control::GetHostStatusReply r;
  r.set_ipv4_subnet("10.75.0.0/16");
  r.set_ipv6_subnet("fdd4:1476:6c7e::/48");
  r.set_gateway_ipv4("10.75.0.1");
  r.set_gateway_ipv6("fdd4:1476:6c7e::1");
  r.set_gateway_mac("02:16:3e:00:00:01");
  r.set_host_ipv4("10.75.0.2");
  r.set_host_ipv6("fdd4:1476:6c7e::2");
  r.set_host_mac("02:16:3e:00:00:02");
  return r;
}

TEST(KratanetHostStatusTest, Network) {
  Result<ZoneNetwork> n = NetworkFromHostStatus(HostStatus());
  ASSERT_TRUE(n.has_value()) << n.error().ToString();
  EXPECT_EQ(ToString(n->gateway.subnet4), "10.75.0.0/16");
  EXPECT_EQ(ToString(n->gateway.subnet6), "fdd4:1476:6c7e::/48");
  EXPECT_EQ(ToString(n->gateway.ip4), "10.75.0.1");
  EXPECT_EQ(ToString(n->gateway.mac), "02:16:3e:00:00:01");
  ASSERT_TRUE(n->host_tap.has_value());
  EXPECT_EQ(ToString(n->host_tap->ip6), "fdd4:1476:6c7e::2");
  v1::control::GetHostStatusReply no_host = HostStatus();
  no_host.clear_host_mac();
  EXPECT_FALSE(NetworkFromHostStatus(no_host)->host_tap.has_value());
}

TEST(KratanetHostStatusTest, MissingOrBadNetworkIsAnError) {
  EXPECT_FALSE(NetworkFromHostStatus(v1::control::GetHostStatusReply()).has_value());
  v1::control::GetHostStatusReply r = HostStatus();
  r.set_gateway_ipv4("10.76.0.1");  // outside the subnet
  EXPECT_FALSE(NetworkFromHostStatus(r).has_value());
  r = HostStatus();
  r.set_ipv4_subnet("10.75.0.1/16");  // host bits
  EXPECT_FALSE(NetworkFromHostStatus(r).has_value());
  r = HostStatus();
  r.set_host_ipv6("10.75.0.2");
  EXPECT_FALSE(NetworkFromHostStatus(r).has_value());
}

TEST(KratanetVifNameTest, NetbackNaming) { EXPECT_EQ(VifName(12), "vif12.0"); }

}  // namespace
}  // namespace krata::net::kratanet
