// Zone to zone, host TAP, port forwards, attach and detach.

#include <netinet/in.h>

#include "tests/net/fixture.h"
#include "tests/net/traffic.h"

namespace krata::net::testing {
namespace {

const IpAddr kAny4 = IpAddr::V4(0, 0, 0, 0);
const IpAddr kAny6 = IpAddr{.v6 = true};

TEST_F(NetTest, ZoneToZone) {
  StartStack();
  ASSERT_TRUE(AddZone(0).has_value());
  Status z1 = AddZone(1);
  ASSERT_TRUE(z1.has_value()) << z1.error().ToString();
  ExpectPing(zone(0), ZoneIp4(1));
  ExpectPing(zone(0), ZoneIp6(1));
  for (const IpAddr& ip : {ZoneIp4(1), ZoneIp6(1)}) {
    TcpServer srv(MUST(ListenTcp(zone(1), Endpoint{ip, 7000})), EchoHandler);
    Result<UniqueFd> c = ConnectTcp(zone(0), Endpoint{ip, 7000});
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    ExpectBulkEcho(c->get(), 4 << 20);
  }
}

TEST_F(NetTest, HostTap) {
  SwitchOptions o = DefaultOptions();
  o.host_tap = HostTap{.ifname = "kntap0",
                       .mac = Mac{0x02, 0x00, 0x0a, 0x4b, 0x00, 0xfe},
                       .ip4 = IpAddr::V4(10, 75, 0, 254),
                       .ip6 = Addr("fdd4:1476:6c7e::fe")};
  StartStack(o);
  ASSERT_TRUE(AddZone(0).has_value());
  // The host reaches the zone at its own address...
  for (const IpAddr& any : {kAny4, kAny6}) {
    TcpServer srv(MUST(ListenTcp(zone(), Endpoint{any, 7000})), EchoHandler);
    const IpAddr& ip = any.v6 ? ZoneIp6(0) : ZoneIp4(0);
    Result<UniqueFd> c = ConnectTcp(host(), Endpoint{ip, 7000});
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    ExpectBulkEcho(c->get(), 4 << 20);
  }
  // ...and the zone reaches the host at the TAP's.
  for (const IpAddr& ip : {o.host_tap->ip4, o.host_tap->ip6}) {
    TcpServer srv(MUST(ListenTcp(host(), Endpoint{ip, 7001})), EchoHandler);
    Result<UniqueFd> c = ConnectTcp(zone(), Endpoint{ip, 7001});
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    ExpectEcho(c->get(), "hello host at " + ToString(ip));
  }
  ExpectPing(zone(), o.host_tap->ip4);
}

TEST_F(NetTest, PortForwards) {
  StartStack();
  Status z = AddZone(0, {{.host_port = 18080, .zone_port = 8080},
                         {.host_port = 18053, .zone_port = 8053, .udp = true}});
  ASSERT_TRUE(z.has_value()) << z.error().ToString();
  TcpServer tcp4(MUST(ListenTcp(zone(), Endpoint{kAny4, 8080})), EchoHandler);
  TcpServer tcp6(MUST(ListenTcp(zone(), Endpoint{kAny6, 8080})), EchoHandler);
  UdpEchoServer udp4(MUST(BindUdp(zone(), Endpoint{kAny4, 8053})));
  UdpEchoServer udp6(MUST(BindUdp(zone(), Endpoint{kAny6, 8053})));
  for (const char* lo : {"127.0.0.1", "::1"}) {
    Result<UniqueFd> c = ConnectTcp(host(), Ep(lo, 18080));
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    ExpectBulkEcho(c->get(), 1 << 20);
    Result<UniqueFd> u = ConnectUdp(host(), Ep(lo, 18053));
    ASSERT_TRUE(u.has_value()) << u.error().ToString();
    ExpectUdpEcho(u->get(), std::string("forwarded datagram via ") + lo);
  }
  EXPECT_EQ(tcp4.accepted(), 1u);
  EXPECT_EQ(tcp6.accepted(), 1u);
}

TEST_F(NetTest, TakenForwardPortFailsTheAttach) {
  StartStack();
  Result<UniqueFd> taken = ListenTcp(host(), Endpoint{kAny4, 18081});
  ASSERT_TRUE(taken.has_value());
  Status z = AddZone(0, {{.host_port = 18081, .zone_port = 81}});
  ASSERT_FALSE(z.has_value());
  EXPECT_NE(z.error().ToString().find("18081"), std::string::npos) << z.error().ToString();
  EXPECT_FALSE(stack_->Call([](Switch& sw) { return sw.HasZone("zone0"); }));
  // Once the port is free the same zone attaches.
  taken->reset();
  Status again = AttachZone(0, {{.host_port = 18081, .zone_port = 81}});
  EXPECT_TRUE(again.has_value()) << again.error().ToString();
}

TEST_F(NetTest, DetachReleasesTheZone) {
  StartStack();
  ASSERT_TRUE(AddZone(0, {{.host_port = 18082, .zone_port = 82}}).has_value());
  ExpectPing(zone(), options_.gateway.ip4, 1);
  EXPECT_FALSE(AttachZone(0, {}).has_value());  // already attached
  stack_->Call([](Switch& sw) {
    sw.DetachZone("zone0");
    sw.DetachZone("no-such-zone");
    return 0;
  });
  EXPECT_FALSE(stack_->Call([](Switch& sw) { return sw.HasZone("zone0"); }));
  // The forward's host port is free again.
  EXPECT_TRUE(ListenTcp(host(), Endpoint{kAny4, 18082}).has_value());
}

}  // namespace
}  // namespace krata::net::testing
