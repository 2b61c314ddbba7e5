// ICMP echo through real host sockets. Each test runs on a thread that enters a fresh network
// namespace (unshare(CLONE_NEWNET) affects only the calling thread), brings its loopback up
// and sets net.ipv4.ping_group_range there, so ping and raw sockets are both exercised and
// the host's sysctl is never touched.

#include "net/nat/icmp_nat.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "net/nat/nat_testing.h"

namespace krata::net {
namespace {

using namespace std::chrono_literals;
using testing::FakeZonePort;
using testing::Parse;
using testing::RunUntil;
using testing::Str;
using testing::ZoneEcho;

constexpr const char* kPingRange = "/proc/sys/net/ipv4/ping_group_range";

std::string ReadPingRange() {
  std::ifstream in(kPingRange);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs body on a thread inside a new network namespace with lo up. allow_ping: every group
// may open ping sockets; otherwise the kernel default ("1 0", nobody).
void InFreshNetns(bool allow_ping, const std::function<void()>& body) {
  std::string host_range = ReadPingRange();
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      ADD_FAILURE() << "unshare(CLONE_NEWNET): " << std::strerror(errno);
      return;
    }
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    bool up = s >= 0 && ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    up = up && ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
    if (s >= 0) ::close(s);
    if (!up) {
      ADD_FAILURE() << "bringing lo up: " << std::strerror(errno);
      return;
    }
    if (allow_ping) {
      std::ofstream out(kPingRange);
      out << "0 2147483647\n";
      out.close();
      if (!out) {
        ADD_FAILURE() << "cannot write " << kPingRange;
        return;
      }
    }
    body();
  });
  t.join();
  EXPECT_EQ(ReadPingRange(), host_range);  // the host's namespace is untouched
}

class IcmpNatTest : public ::testing::TestWithParam<bool> {  // param: ping sockets
 protected:
  bool ping() const { return GetParam(); }
  void Run(const std::function<void(EventLoop&, FakeZonePort&)>& body) {
    InFreshNetns(ping(), [&] {
      std::unique_ptr<EventLoop> loop = MUST(EventLoop::Create());
      FakeZonePort zone;
      body(*loop, zone);
    });
  }
};

// What the zone must receive for its echo request.
std::vector<uint8_t> ExpectedReply(const ZonePort& zone, const IpAddr& from, uint16_t id,
                                   uint16_t seq, std::string_view data) {
  std::vector<uint8_t> f(kMaxFrameBytes);
  bool v6 = from.v6;
  size_t n = BuildIcmpEcho(f, L2Addrs{.src = zone.gateway().mac, .dst = zone.zone().mac}, from,
                           v6 ? zone.zone().ip6 : zone.zone().ip4, true, id, seq, AsBytes(data));
  f.resize(n);
  return f;
}

TEST_P(IcmpNatTest, EchoToLoopbackV4AndV6) {
  Run([&](EventLoop& loop, FakeZonePort& zone) {
    IcmpNat nat(loop);
    EXPECT_EQ(nat.using_ping_sockets(), ping());
    for (bool v6 : {false, true}) {
      SCOPED_TRACE(v6 ? "v6" : "v4");
      zone.frames.clear();
      IpAddr dst = v6 ? testing::Ip("::1") : IpAddr::V4(127, 0, 0, 1);
      const std::string data = "0123456789abcdefghijklmnopqrstuvwxyz";
      nat.FromZone(zone, Parse(ZoneEcho(zone, zone.ip(v6), dst, 0x1234, 7, data)));
      ASSERT_TRUE(RunUntil(loop, [&] { return !zone.frames.empty(); }));
      EXPECT_EQ(zone.frames[0], ExpectedReply(zone, dst, 0x1234, 7, data));
      EXPECT_TRUE(testing::ChecksumsVerify(zone.frames[0]));

      // The next request of the same ping reuses the flow.
      nat.FromZone(zone, Parse(ZoneEcho(zone, zone.ip(v6), dst, 0x1234, 8, "x")));
      ASSERT_TRUE(RunUntil(loop, [&] { return zone.frames.size() == 2; }));
      EXPECT_EQ(zone.frames[1], ExpectedReply(zone, dst, 0x1234, 8, "x"));
    }
    EXPECT_EQ(nat.flow_count(), 2u);
    nat.DropZone(zone);
    EXPECT_EQ(nat.flow_count(), 0u);
  });
}

TEST_P(IcmpNatTest, RepliesGoToTheirOwnFlow) {
  Run([&](EventLoop& loop, FakeZonePort& zone) {
    IcmpNat nat(loop);
    FakeZonePort other(3);
    IpAddr dst = IpAddr::V4(127, 0, 0, 1);
    // Same echo id from two zones, and a second id from the first.
    nat.FromZone(zone, Parse(ZoneEcho(zone, zone.ip(false), dst, 1, 1, "zone-a")));
    nat.FromZone(other, Parse(ZoneEcho(other, other.ip(false), dst, 1, 1, "zone-b")));
    nat.FromZone(zone, Parse(ZoneEcho(zone, zone.ip(false), dst, 2, 5, "zone-a2")));
    EXPECT_EQ(nat.flow_count(), 3u);
    ASSERT_TRUE(
        RunUntil(loop, [&] { return zone.frames.size() == 2 && other.frames.size() == 1; }));
    for (int i = 0; i < 5; ++i) MUST(loop.RunOnce(10ms));  // duplicates would show up now
    ASSERT_EQ(zone.frames.size(), 2u);
    ASSERT_EQ(other.frames.size(), 1u);
    std::map<uint16_t, std::string> by_id;
    for (const auto& f : zone.frames) {
      Frame r = Parse(f);
      by_id[r.icmp.id] = Str(r.icmp.body.subspan(4));
    }
    EXPECT_EQ(by_id, (std::map<uint16_t, std::string>{{1, "zone-a"}, {2, "zone-a2"}}));
    EXPECT_EQ(other.frames[0], ExpectedReply(other, dst, 1, 1, "zone-b"));
    nat.DropZone(zone);
    nat.DropZone(other);
  });
}

TEST_P(IcmpNatTest, IdleFlowsExpire) {
  Run([&](EventLoop& loop, FakeZonePort& zone) {
    IcmpNat nat(loop, IcmpNatOptions{.idle_timeout = 100ms});
    nat.FromZone(zone, Parse(ZoneEcho(zone, zone.ip(false), IpAddr::V4(127, 0, 0, 1), 9, 1, "")));
    EXPECT_EQ(nat.flow_count(), 1u);
    ASSERT_TRUE(RunUntil(
        loop, [&] { return nat.flow_count() == 0; }, 2s));
    EXPECT_EQ(zone.frames.size(), 1u);  // the reply came before expiry
  });
}

TEST_P(IcmpNatTest, MaxFlowsEvictsTheOldest) {
  Run([&](EventLoop& loop, FakeZonePort& zone) {
    IcmpNat nat(loop, IcmpNatOptions{.max_flows = 2});
    IpAddr dst = IpAddr::V4(127, 0, 0, 1);
    for (uint16_t id : {1, 2, 3}) {
      nat.FromZone(zone, Parse(ZoneEcho(zone, zone.ip(false), dst, id, 1, "")));
    }
    EXPECT_EQ(nat.flow_count(), 2u);
    nat.DropZone(zone);
  });
}

TEST_P(IcmpNatTest, OnlyEchoRequestsAreTranslated) {
  Run([&](EventLoop& loop, FakeZonePort& zone) {
    IcmpNat nat(loop);
    IpAddr dst = IpAddr::V4(127, 0, 0, 1);
    // An echo reply from the zone (type 0) is not a request.
    std::vector<uint8_t> f(kMaxFrameBytes);
    f.resize(BuildIcmpEcho(f, L2Addrs{.src = zone.zone().mac, .dst = zone.gateway().mac},
                           zone.ip(false), dst, /*reply=*/true, 1, 1, AsBytes("x")));
    nat.FromZone(zone, Parse(f));
    // Nor is a UDP frame handed to the wrong translator.
    nat.FromZone(zone, Parse(testing::ZoneUdp(zone, {zone.ip(false), 1}, {dst, 2}, "u")));
    EXPECT_EQ(nat.flow_count(), 0u);
    EXPECT_EQ(nat.dropped(), 2u);
    for (int i = 0; i < 3; ++i) MUST(loop.RunOnce(10ms));
    EXPECT_TRUE(zone.frames.empty());
  });
}

INSTANTIATE_TEST_SUITE_P(Sockets, IcmpNatTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "ping" : "raw";
                         });

}  // namespace
}  // namespace krata::net
