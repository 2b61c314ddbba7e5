#include <gtest/gtest.h>

#include <cerrno>

#include "net/nat/nat_testing.h"
#include "net/nat/udp_nat.h"

namespace krata::net {
namespace {

using namespace std::chrono_literals;
using testing::FakeZonePort;
using testing::LoopbackUdp;
using testing::Parse;
using testing::RunUntil;
using testing::Str;
using testing::ZoneUdp;

constexpr uint16_t kZonePort = 8080;

class UdpForwardTest : public ::testing::TestWithParam<bool> {  // param: IPv6
 protected:
  bool v6() const { return GetParam(); }
  IpAddr Loopback() const { return v6() ? testing::Ip("::1") : IpAddr::V4(127, 0, 0, 1); }

  // Waits for the next frame to the zone and returns it parsed (kept in zone.frames).
  Frame NextFrame(size_t index) {
    EXPECT_TRUE(RunUntil(*loop, [&] { return zone.frames.size() > index; }));
    if (zone.frames.size() <= index) return Frame{};
    return Parse(zone.frames[index]);
  }
  // The zone answers a forwarded datagram from its service port.
  void ZoneReply(UdpNat& nat, const Frame& to, std::string_view payload) {
    std::vector<uint8_t> f = ZoneUdp(zone, Endpoint{to.ip_dst, to.udp.dst_port},
                                     Endpoint{to.ip_src, to.udp.src_port}, payload);
    // The switch passes no NAT destination for the gateway address: the forward must match.
    nat.FromZone(zone, Parse(f), std::nullopt);
  }

  void SetUp() override { loop = MUST(EventLoop::Create()); }

  std::unique_ptr<EventLoop> loop;
  FakeZonePort zone;
};

TEST_P(UdpForwardTest, PeersReachTheZoneAndGetReplies) {
  UdpNat nat(*loop);
  uint16_t host_port = testing::FreeUdpPort(v6());
  ASSERT_TRUE(nat.AddForward(zone, host_port, kZonePort).has_value());
  Endpoint service{Loopback(), host_port};

  LoopbackUdp c1(v6()), c2(v6());
  c1.SendTo(service, "from c1");
  Frame f1 = NextFrame(0);
  ASSERT_EQ(f1.l4, L4::kUdp);
  EXPECT_EQ(f1.ip_src, zone.gw_ip(v6()));
  EXPECT_EQ(f1.ip_dst, zone.ip(v6()));
  EXPECT_EQ(f1.udp.dst_port, kZonePort);
  EXPECT_GE(f1.udp.src_port, 40000);
  EXPECT_LE(f1.udp.src_port, 59999);
  EXPECT_EQ(Str(f1.udp.payload), "from c1");
  EXPECT_TRUE(testing::ChecksumsVerify(zone.frames[0]));

  c2.SendTo(service, "from c2");
  Frame f2 = NextFrame(1);
  EXPECT_EQ(Str(f2.udp.payload), "from c2");
  EXPECT_NE(f2.udp.src_port, f1.udp.src_port);  // one vport per peer

  ZoneReply(nat, f2, "to c2");
  ZoneReply(nat, f1, "to c1");
  auto [d1, from1] = c1.RecvWhileRunning(*loop);
  auto [d2, from2] = c2.RecvWhileRunning(*loop);
  EXPECT_EQ(d1, "to c1");
  EXPECT_EQ(d2, "to c2");
  EXPECT_EQ(from1, service);
  EXPECT_EQ(from2, service);

  // A peer keeps its vport.
  c1.SendTo(service, "again");
  EXPECT_EQ(NextFrame(2).udp.src_port, f1.udp.src_port);
  EXPECT_EQ(nat.stats().flows, 0u);  // forwards are not flows
}

TEST_P(UdpForwardTest, PeerMappingsExpire) {
  UdpNat nat(*loop, UdpNatOptions{.forward_peer_timeout = 100ms});
  uint16_t host_port = testing::FreeUdpPort(v6());
  ASSERT_TRUE(nat.AddForward(zone, host_port, kZonePort).has_value());
  LoopbackUdp c1(v6());
  c1.SendTo(Endpoint{Loopback(), host_port}, "hi");
  Frame f1 = NextFrame(0);
  // Once expired, the zone's reply to the vport has no peer: port unreachable for the zone.
  auto start = EventLoop::Clock::now();
  RunUntil(
      *loop, [&] { return EventLoop::Clock::now() - start > 300ms; }, 1s);
  ZoneReply(nat, f1, "too late");
  ASSERT_EQ(zone.frames.size(), 2u);
  Frame err = Parse(zone.frames[1]);
  EXPECT_EQ(err.l4, v6() ? L4::kIcmpv6 : L4::kIcmp);
  EXPECT_FALSE(c1.Recv().has_value());
}

TEST_P(UdpForwardTest, DuplicateAndReleasedPorts) {
  UdpNat nat(*loop);
  uint16_t host_port = testing::FreeUdpPort(v6());
  ASSERT_TRUE(nat.AddForward(zone, host_port, kZonePort).has_value());
  FakeZonePort other(3);
  Status dup = nat.AddForward(other, host_port, kZonePort);
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().errno_value(), EADDRINUSE);
  EXPECT_FALSE(nat.AddForward(zone, 0, kZonePort).has_value());

  nat.DropZone(zone);  // releases the port
  ASSERT_TRUE(nat.AddForward(other, host_port, kZonePort).has_value());
  LoopbackUdp c(v6());
  c.SendTo(Endpoint{Loopback(), host_port}, "to other");
  ASSERT_TRUE(RunUntil(*loop, [&] { return !other.frames.empty(); }));
  EXPECT_EQ(Parse(other.frames[0]).ip_dst, other.ip(v6()));
  EXPECT_TRUE(zone.frames.empty());
  nat.DropZone(other);
}

INSTANTIATE_TEST_SUITE_P(Families, UdpForwardTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "v6" : "v4";
                         });

}  // namespace
}  // namespace krata::net
