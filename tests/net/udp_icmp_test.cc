// UDP and ICMP echo from a zone to outside servers, and DNS through the gateway.

#include <netinet/in.h>

#include "tests/net/fixture.h"
#include "tests/net/traffic.h"

namespace krata::net::testing {
namespace {

class UdpIcmpTest : public OneZoneTest {};

TEST_F(UdpIcmpTest, UdpEcho) {
  for (const IpAddr& ip : {kOutside4, kOutside6}) {
    UdpEchoServer srv(MUST(BindUdp(host(), Endpoint{ip, 7})));
    Result<UniqueFd> c = ConnectUdp(zone(), Endpoint{ip, 7});
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    for (int i = 0; i < 3; ++i) {
      ExpectUdpEcho(c->get(), "datagram " + std::to_string(i) + " to " + ToString(ip));
    }
    ExpectUdpEcho(c->get(), std::string(1400, 'u'));  // near the MTU
  }
}

TEST_F(UdpIcmpTest, PingOutside) {
  ExpectPing(zone(), kOutside4);
  ExpectPing(zone(), kOutside6);
}

TEST_F(UdpIcmpTest, PingGateway) {
  ExpectPing(zone(), options_.gateway.ip4);
  ExpectPing(zone(), options_.gateway.ip6);
}

TEST_F(UdpIcmpTest, DnsThroughTheGateway) {
  // The fake resolver echoes: the query's bytes coming back prove the path both ways.
  UdpEchoServer udp(MUST(BindUdp(host(), Ep("127.0.0.53", 53))));
  TcpServer tcp(MUST(ListenTcp(host(), Ep("127.0.0.53", 53))), EchoHandler);
  // IPv6 queries fall back to the (only, IPv4) upstream.
  for (const IpAddr& gw : {options_.gateway.ip4, options_.gateway.ip6}) {
    std::string query = std::string("\x12\x34\x01\x00\x00\x01", 6) + "example " + ToString(gw);
    Result<UniqueFd> u = ConnectUdp(zone(), Endpoint{gw, 53});
    ASSERT_TRUE(u.has_value()) << u.error().ToString();
    ExpectUdpEcho(u->get(), query);
    Result<UniqueFd> t = ConnectTcp(zone(), Endpoint{gw, 53});
    ASSERT_TRUE(t.has_value()) << t.error().ToString();
    std::string framed = std::string(1, '\0') + static_cast<char>(query.size()) + query;
    ExpectEcho(t->get(), framed);
  }
  EXPECT_EQ(tcp.accepted(), 2u);
}

TEST_F(UdpIcmpTest, OtherGatewayPortsAreClosed) {
  Result<UniqueFd> t = ConnectTcp(zone(), Endpoint{options_.gateway.ip4, 80});
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().errno_value(), ECONNREFUSED) << t.error().ToString();
}

}  // namespace
}  // namespace krata::net::testing
