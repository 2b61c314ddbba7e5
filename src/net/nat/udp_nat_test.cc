#include "net/nat/udp_nat.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "net/nat/nat_testing.h"

namespace krata::net {
namespace {

using namespace std::chrono_literals;
using testing::ExpectedUdp;
using testing::FakeZonePort;
using testing::LoopbackUdp;
using testing::Parse;
using testing::RunUntil;
using testing::Str;
using testing::ZoneUdp;

class UdpNatTest : public ::testing::TestWithParam<bool> {  // param: IPv6
 protected:
  bool v6() const { return GetParam(); }
  Endpoint ZoneEp(uint16_t port) const { return {zone.ip(v6()), port}; }
  // The zone sends payload from zone_port to dst; the NAT sends it on to send_to.
  void Send(UdpNat& nat, uint16_t zone_port, const Endpoint& dst, std::string_view payload,
            std::optional<Endpoint> send_to) {
    std::vector<uint8_t> f = ZoneUdp(zone, ZoneEp(zone_port), dst, payload);
    nat.FromZone(zone, Parse(f), send_to);
  }
  void Send(UdpNat& nat, uint16_t zone_port, const Endpoint& dst, std::string_view payload) {
    Send(nat, zone_port, dst, payload, dst);
  }

  void SetUp() override { loop = MUST(EventLoop::Create()); }

  std::unique_ptr<EventLoop> loop;
  FakeZonePort zone;
};

TEST_P(UdpNatTest, EchoIsByteExact) {
  UdpNat nat(*loop);
  LoopbackUdp remote(v6());
  Send(nat, 5000, remote.local(), "hello");
  auto [data, host_src] = remote.RecvWhileRunning(*loop);
  EXPECT_EQ(data, "hello");
  EXPECT_EQ(host_src.ip, remote.local().ip);  // the host's own address, not the zone's

  remote.SendTo(host_src, "world!");
  ASSERT_TRUE(RunUntil(*loop, [&] { return !zone.frames.empty(); }));
  ASSERT_EQ(zone.frames.size(), 1u);
  EXPECT_EQ(zone.frames[0], ExpectedUdp(zone, remote.local(), ZoneEp(5000), "world!"));
  EXPECT_TRUE(testing::ChecksumsVerify(zone.frames[0]));

  // The same flow reuses its socket.
  Send(nat, 5000, remote.local(), "again");
  auto [data2, host_src2] = remote.RecvWhileRunning(*loop);
  EXPECT_EQ(data2, "again");
  EXPECT_EQ(host_src2, host_src);
  UdpNatStats s = nat.stats();
  EXPECT_EQ(s.flows, 1u);
  EXPECT_EQ(s.to_host, 2u);
  EXPECT_EQ(s.to_zone, 1u);
  EXPECT_EQ(s.dropped, 0u);
}

TEST_P(UdpNatTest, ManyFlowsKeepTheirReplies) {
  UdpNat nat(*loop);
  LoopbackUdp remote(v6());
  constexpr uint16_t kFlows = 40;
  std::map<Endpoint, std::string> seen;  // host source -> payload
  for (uint16_t i = 0; i < kFlows; ++i) {
    Send(nat, static_cast<uint16_t>(6000 + i), remote.local(), "q" + std::to_string(i));
  }
  ASSERT_TRUE(RunUntil(*loop, [&] {
    while (auto got = remote.Recv()) seen[got->second] = got->first;
    return seen.size() == kFlows;
  }));
  EXPECT_EQ(nat.stats().flows, kFlows);
  for (const auto& [host_src, payload] : seen) remote.SendTo(host_src, "r" + payload.substr(1));
  ASSERT_TRUE(RunUntil(*loop, [&] { return zone.frames.size() == kFlows; }));
  std::set<uint16_t> ports;
  for (const auto& f : zone.frames) {
    Frame fr = Parse(f);
    ASSERT_EQ(fr.l4, L4::kUdp);
    EXPECT_EQ(fr.ip_src, remote.local().ip);
    EXPECT_EQ(fr.udp.src_port, remote.local().port);
    EXPECT_EQ(Str(fr.udp.payload), "r" + std::to_string(fr.udp.dst_port - 6000));
    ports.insert(fr.udp.dst_port);
  }
  EXPECT_EQ(ports.size(), kFlows);
}

TEST_P(UdpNatTest, IdleFlowsExpireAndActiveOnesStay) {
  UdpNat nat(*loop, UdpNatOptions{.idle_timeout = 150ms});
  LoopbackUdp remote(v6());
  Send(nat, 5000, remote.local(), "a");
  Send(nat, 5001, remote.local(), "b");
  EXPECT_EQ(nat.stats().flows, 2u);
  // Keep 5000 busy for three idle periods; 5001 stays silent and goes.
  auto start = EventLoop::Clock::now();
  auto last = start;
  bool survived = RunUntil(
      *loop,
      [&] {
        auto now = EventLoop::Clock::now();
        if (now - last >= 40ms) {
          Send(nat, 5000, remote.local(), "keepalive");
          last = now;
        }
        if (nat.stats().flows == 0) return true;  // 5000 expired although active: fail below
        return now - start >= 450ms;
      },
      2s);
  EXPECT_TRUE(survived);
  EXPECT_EQ(nat.stats().flows, 1u);
  ASSERT_TRUE(RunUntil(
      *loop, [&] { return nat.stats().flows == 0; }, 2s));
}

TEST_P(UdpNatTest, LeastRecentlyUsedFlowIsEvicted) {
  UdpNat nat(*loop, UdpNatOptions{.max_flows = 3});
  LoopbackUdp remote(v6());
  std::map<uint16_t, Endpoint> host_src;  // zone port -> host socket
  for (uint16_t p : {1, 2, 3}) {
    Send(nat, p, remote.local(), std::to_string(p));
    auto [data, src] = remote.RecvWhileRunning(*loop);
    host_src[static_cast<uint16_t>(std::stoi(data))] = src;
  }
  Send(nat, 1, remote.local(), "1");  // 1 is now the most recent, 2 the least
  remote.RecvWhileRunning(*loop);
  Send(nat, 4, remote.local(), "4");
  remote.RecvWhileRunning(*loop);
  EXPECT_EQ(nat.stats().flows, 3u);

  for (uint16_t p : {2, 1, 3}) remote.SendTo(host_src[p], "to" + std::to_string(p));
  ASSERT_TRUE(RunUntil(*loop, [&] { return zone.frames.size() >= 2; }));
  for (int i = 0; i < 5; ++i) MUST(loop->RunOnce(10ms));  // a stray reply for 2 would show
  std::set<uint16_t> got;
  for (const auto& f : zone.frames) got.insert(Parse(f).udp.dst_port);
  EXPECT_EQ(got, (std::set<uint16_t>{1, 3}));
}

TEST_P(UdpNatTest, DnsRewriteRepliesFromTheAddressTheZoneUsed) {
  UdpNat nat(*loop);
  LoopbackUdp upstream(v6());
  Endpoint gw_dns{zone.gw_ip(v6()), 53};
  Send(nat, 33333, gw_dns, "query", upstream.local());
  auto [data, host_src] = upstream.RecvWhileRunning(*loop);
  EXPECT_EQ(data, "query");
  upstream.SendTo(host_src, "answer");
  ASSERT_TRUE(RunUntil(*loop, [&] { return !zone.frames.empty(); }));
  EXPECT_EQ(zone.frames[0], ExpectedUdp(zone, gw_dns, ZoneEp(33333), "answer"));
}

TEST_P(UdpNatTest, NoDestinationGetsPortUnreachable) {
  UdpNat nat(*loop);
  Endpoint dst{zone.gw_ip(v6()), 9999};
  std::vector<uint8_t> sent = ZoneUdp(zone, ZoneEp(4444), dst, "nobody");
  Frame in = Parse(sent);
  nat.FromZone(zone, in, std::nullopt);
  ASSERT_EQ(zone.frames.size(), 1u);
  Frame err = Parse(zone.frames[0]);
  EXPECT_EQ(err.l4, v6() ? L4::kIcmpv6 : L4::kIcmp);
  EXPECT_EQ(err.icmp.type, v6() ? 1 : 3);
  EXPECT_EQ(err.icmp.code, v6() ? 4 : 3);
  EXPECT_EQ(err.ip_src, dst.ip);
  EXPECT_EQ(err.ip_dst, zone.ip(v6()));
  // After the 4 unused bytes comes the zone's packet, whole (it is small).
  ASSERT_GE(err.icmp.body.size(), 4u);
  ByteSpan quoted = err.icmp.body.subspan(4);
  EXPECT_EQ(Str(quoted), Str(in.ip_packet));
  EXPECT_EQ(nat.stats().flows, 0u);
}

TEST_P(UdpNatTest, RefusedRemoteGetsPortUnreachable) {
  UdpNat nat(*loop);
  Endpoint closed{v6() ? testing::Ip("::1") : IpAddr::V4(127, 0, 0, 1), testing::FreeUdpPort(v6())};
  Send(nat, 5555, closed, "anyone?");
  ASSERT_TRUE(RunUntil(*loop, [&] { return !zone.frames.empty(); }));
  Frame err = Parse(zone.frames[0]);
  EXPECT_EQ(err.icmp.type, v6() ? 1 : 3);
  EXPECT_EQ(err.icmp.code, v6() ? 4 : 3);
  EXPECT_EQ(err.ip_src, closed.ip);
  std::vector<uint8_t> sent = ZoneUdp(zone, ZoneEp(5555), closed, "anyone?");
  Frame quoted_udp = Parse(sent);
  EXPECT_EQ(Str(err.icmp.body.subspan(4)), Str(quoted_udp.ip_packet));
}

TEST_P(UdpNatTest, OversizeRepliesAreDropped) {
  UdpNat nat(*loop);
  LoopbackUdp remote(v6());
  Send(nat, 5000, remote.local(), "x");
  auto [data, host_src] = remote.RecvWhileRunning(*loop);
  size_t max = zone.gateway().mtu - (v6() ? 40 : 20) - 8;
  remote.SendTo(host_src, std::string(max + 1, 'b'));
  remote.SendTo(host_src, std::string(max, 'a'));
  ASSERT_TRUE(RunUntil(*loop, [&] { return !zone.frames.empty(); }));
  ASSERT_EQ(zone.frames.size(), 1u);
  EXPECT_EQ(Parse(zone.frames[0]).udp.payload.size(), max);
  EXPECT_EQ(zone.frames[0].size(), kEthHeaderBytes + zone.gateway().mtu);
  EXPECT_EQ(nat.stats().dropped, 1u);
}

TEST_P(UdpNatTest, DropZoneClosesFlows) {
  UdpNat nat(*loop);
  LoopbackUdp remote(v6());
  Send(nat, 5000, remote.local(), "x");
  auto [data, host_src] = remote.RecvWhileRunning(*loop);
  nat.DropZone(zone);
  EXPECT_EQ(nat.stats().flows, 0u);
  remote.SendTo(host_src, "late");
  for (int i = 0; i < 5; ++i) MUST(loop->RunOnce(10ms));
  EXPECT_TRUE(zone.frames.empty());
}

TEST_P(UdpNatTest, MulticastIsDropped) {
  UdpNat nat(*loop);
  Endpoint mc{v6() ? testing::Ip("ff02::fb") : IpAddr::V4(224, 0, 0, 251), 5353};
  Send(nat, 5353, mc, "mdns");
  EXPECT_EQ(nat.stats().flows, 0u);
  EXPECT_EQ(nat.stats().dropped, 1u);
  EXPECT_TRUE(zone.frames.empty());
}

INSTANTIATE_TEST_SUITE_P(Families, UdpNatTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "v6" : "v4";
                         });

}  // namespace
}  // namespace krata::net
