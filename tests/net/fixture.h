#pragma once
// The kratanet test topology, built per test:
//   netns kn-h-<pid> ("host"): kratanet on a thread, the zones' veth ends vz<N>, "outside"
//     addresses 198.18.0.1/32 and fd00:198::1/128 on lo (CONFIG_DUMMY may be missing), a fake
//     resolver's address 127.0.0.53, ping sockets allowed;
//   netns kn-z<N>-<pid> ("zone N"): eth0 = 10.75.0.<N+2>/16, fdd4:1476:6c7e::<N+2>/48,
//     default routes via the gateway 10.75.0.1 / fdd4:1476:6c7e::1.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/link/link.h"
#include "tests/net/netns.h"
#include "tests/net/sockets.h"
#include "tests/net/stack_thread.h"

namespace krata::net::testing {

inline IpAddr Addr(const char* text) { return MUST(ParseIp(text)); }
inline Endpoint Ep(const char* ip, uint16_t port) { return Endpoint{Addr(ip), port}; }

inline const IpAddr kOutside4 = Addr("198.18.0.1");
inline const IpAddr kOutside6 = Addr("fd00:198::1");

inline Mac ZoneMac(int n) { return Mac{0x02, 0x00, 0x0a, 0x4b, 0x00, static_cast<uint8_t>(n + 2)}; }
inline IpAddr ZoneIp4(int n) { return IpAddr::V4(10, 75, 0, static_cast<uint8_t>(n + 2)); }
inline IpAddr ZoneIp6(int n) {
  IpAddr a = Addr("fdd4:1476:6c7e::");
  a.b[15] = static_cast<uint8_t>(n + 2);
  return a;
}

class NetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_.emplace(MUST(Netns::Create("h")));
    const std::string& h = host_->name();
    ASSERT_TRUE(Ip(h, {"addr", "add", "198.18.0.1/32", "dev", "lo"}).has_value());
    ASSERT_TRUE(Ip(h, {"addr", "add", "fd00:198::1/128", "dev", "lo"}).has_value());
    ASSERT_TRUE(WriteSysctl(h, "net/ipv4/ping_group_range", "0 2147483647").has_value());
  }
  void TearDown() override {
    stack_.reset();
    zones_.clear();
    host_.reset();
  }

  static SwitchOptions DefaultOptions() {
    SwitchOptions o;
    o.gateway.mac = Mac{0x02, 0x00, 0x0a, 0x4b, 0x00, 0x01};
    o.gateway.ip4 = IpAddr::V4(10, 75, 0, 1);
    o.gateway.ip6 = Addr("fdd4:1476:6c7e::1");
    o.gateway.subnet4 = MUST(ParseSubnet("10.75.0.0/16"));
    o.gateway.subnet6 = MUST(ParseSubnet("fdd4:1476:6c7e::/48"));
    o.gateway.dns_upstreams = {Ep("127.0.0.53", 53)};
    return o;
  }

  // Starts kratanet in the host netns with `o`.
  void StartStack(SwitchOptions o = DefaultOptions()) {
    options_ = o;
    Result<std::unique_ptr<StackThread>> st = StackThread::Start(host_->name(), std::move(o));
    ASSERT_TRUE(st.has_value()) << st.error().ToString();
    stack_ = std::move(*st);
  }

  // Creates zone n's netns and veth, and attaches it to the switch.
  Status AddZone(int n, std::vector<PortForward> forwards = {}) {
    Netns z = TRY(Netns::Create("z" + std::to_string(n)));
    ZoneNetConfig cfg{.host_ifname = "vz" + std::to_string(n),
                      .mac = ZoneMac(n),
                      .ip4_cidr = ToString(ZoneIp4(n)) + "/16",
                      .ip6_cidr = ToString(ZoneIp6(n)) + "/48",
                      .gateway4 = ToString(options_.gateway.ip4),
                      .gateway6 = ToString(options_.gateway.ip6)};
    TRY(AddZoneVeth(*host_, z, cfg));
    TRY(WriteSysctl(z.name(), "net/ipv4/ping_group_range", "0 2147483647"));
    zones_.push_back(std::move(z));
    return AttachZone(n, std::move(forwards));
  }

  Status AttachZone(int n, std::vector<PortForward> forwards) {
    ZoneAddrs addrs{.name = "zone" + std::to_string(n),
                    .mac = ZoneMac(n),
                    .ip4 = ZoneIp4(n),
                    .ip6 = ZoneIp6(n)};
    std::string ifname = "vz" + std::to_string(n);
    return stack_->Call([&](Switch& sw) -> Status {
      std::unique_ptr<Link> link = TRY(OpenPacketLink(ifname));
      return sw.AttachZone(addrs, std::move(link), forwards);
    });
  }

  // For failure messages: the switch's and the TCP NAT's counters.
  std::string StatsText() {
    SwitchStats s = Stats();
    TcpNatStats t = stack_->Call([](Switch& sw) { return sw.tcp_stats(); });
    return "switch: in " + std::to_string(s.frames_in) + " out " + std::to_string(s.frames_out) +
           " send_dropped " + std::to_string(s.send_dropped) + " kernel_dropped " +
           std::to_string(s.kernel_dropped) + " malformed " + std::to_string(s.malformed) +
           " spoofed " + std::to_string(s.spoofed) + " fragments " + std::to_string(s.fragments) +
           " unroutable " + std::to_string(s.unroutable) + "; tcp: flows " +
           std::to_string(t.flows) + " opened " + std::to_string(t.opened) + " refused " +
           std::to_string(t.refused) + " reset_by_zone " + std::to_string(t.reset_by_zone) +
           " retransmits " + std::to_string(t.retransmits);
  }

  const std::string& host() const { return host_->name(); }
  const std::string& zone(int n = 0) const { return zones_.at(static_cast<size_t>(n)).name(); }
  SwitchStats Stats() {
    return stack_->Call([](Switch& sw) { return sw.stats(); });
  }

  // Polls cond (about every 10 ms) until it holds or `limit` passes.
  template <typename F>
  static bool WaitFor(F cond, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return cond();
  }

  SwitchOptions options_ = DefaultOptions();
  std::optional<Netns> host_;
  std::vector<Netns> zones_;
  std::unique_ptr<StackThread> stack_;
};

// The stack running with zone 0 attached: what most tests start from.
class OneZoneTest : public NetTest {
 protected:
  void SetUp() override {
    NetTest::SetUp();
    StartStack();
    Status z = AddZone(0);
    ASSERT_TRUE(z.has_value()) << z.error().ToString();
  }
};

}  // namespace krata::net::testing
