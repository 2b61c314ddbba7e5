#include "ctl/host_network.h"

#include <gtest/gtest.h>

namespace krata::ctl {
namespace {

namespace common = v1::common;

TEST(PortForward, Parses) {
  common::ZonePortForward p = MUST(ParsePortForward("8080:80"));
  EXPECT_EQ(p.host_port(), 8080u);
  EXPECT_EQ(p.zone_port(), 80u);
  EXPECT_EQ(p.protocol(), common::PORT_PROTOCOL_TCP);
  p = MUST(ParsePortForward("5353:53/udp"));
  EXPECT_EQ(p.host_port(), 5353u);
  EXPECT_EQ(p.zone_port(), 53u);
  EXPECT_EQ(p.protocol(), common::PORT_PROTOCOL_UDP);
  EXPECT_EQ(MUST(ParsePortForward("1:65535/tcp")).zone_port(), 65535u);
}

TEST(PortForward, RefusesWithAClearMessage) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"8080", "expected HOSTPORT:ZONEPORT"},
      {"", "expected HOSTPORT:ZONEPORT"},
      {":80", "host port \"\""},
      {"8080:", "zone port \"\""},
      {"0:80", "host port \"0\""},
      {"8080:65536", "zone port \"65536\""},
      {"http:80", "host port \"http\""},
      {"80:80/sctp", "protocol \"sctp\""},
      {"80:80/", "protocol \"\""},
      {"+80:80", "host port"},
      {"80 :80", "host port"},
      {"80:80:90", "zone port"},
  };
  for (const Case& c : cases) {
    Result<common::ZonePortForward> r = ParsePortForward(c.text);
    ASSERT_FALSE(r.has_value()) << c.text;
    std::string text = r.error().ToString();
    EXPECT_NE(text.find(c.message), std::string::npos) << c.text << ": " << text;
    EXPECT_NE(text.find(std::string("-p ") + c.text), std::string::npos) << text;
  }
}

TEST(HostNetwork, TextAndJson) {
  v1::control::GetHostStatusReply h;
  EXPECT_EQ(FormatNetworkText(h), "Zone network:     (kratad reports none)\n");
  h.set_ipv4_subnet("10.75.0.0/16");
  h.set_ipv6_subnet("fdd4:1476:6c7e::/48");
  h.set_gateway_ipv4("10.75.0.1");
  h.set_gateway_ipv6("fdd4:1476:6c7e::1");
  h.set_gateway_mac("02:00:00:00:00:01");
  h.set_host_ipv4("10.75.0.2");
  h.set_host_ipv6("fdd4:1476:6c7e::2");
  h.set_host_mac("02:00:00:00:00:02");
  EXPECT_EQ(FormatNetworkText(h),
            "Zone network:     10.75.0.0/16 fdd4:1476:6c7e::/48\n"
            "Zone gateway:     10.75.0.1 fdd4:1476:6c7e::1 02:00:00:00:00:01\n"
            "Host on network:  10.75.0.2 fdd4:1476:6c7e::2 02:00:00:00:00:02\n");
  nlohmann::json j = {{"nr_cpus", 4}};
  AddNetworkJson(h, j);
  EXPECT_EQ(j["nr_cpus"], 4);
  EXPECT_EQ(j["gateway_ipv4"], "10.75.0.1");
  EXPECT_EQ(j["gateway_ipv6"], "fdd4:1476:6c7e::1");
  EXPECT_EQ(j["ipv6_subnet"], "fdd4:1476:6c7e::/48");
  EXPECT_EQ(j["host_mac"], "02:00:00:00:00:02");
}

}  // namespace
}  // namespace krata::ctl
