// Frames a hostile zone can send: injected with an AF_PACKET socket on the zone's eth0.
// kratanet must count and drop them and keep serving the zone.

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstring>
#include <random>
#include <vector>

#include "net/packet/build.h"
#include "tests/net/fixture.h"
#include "tests/net/traffic.h"

namespace krata::net::testing {
namespace {

class HostileTest : public OneZoneTest {
 protected:
  void SetUp() override {
    OneZoneTest::SetUp();
    if (HasFatalFailure()) return;
    Result<UniqueFd> s = RunInNetns(zone(), []() -> Result<UniqueFd> {
      int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);  // send only
      if (fd < 0) return Error::FromErrno("socket", errno);
      UniqueFd sock(fd);
      sockaddr_ll sll{};
      sll.sll_family = AF_PACKET;
      sll.sll_ifindex = static_cast<int>(if_nametoindex("eth0"));
      if (::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) != 0) {
        return Error::FromErrno("bind", errno);
      }
      return sock;
    });
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    raw_ = std::move(*s);
  }

  void Inject(std::span<const uint8_t> frame) {
    ASSERT_EQ(::send(raw_.get(), frame.data(), frame.size(), 0), static_cast<ssize_t>(frame.size()))
        << std::strerror(errno);
  }

  // A valid UDP frame from the zone to the outside, for the tests to break.
  std::vector<uint8_t> Udp4(const IpAddr& src, const IpAddr& dst = kOutside4) {
    std::vector<uint8_t> f(1514);
    f.resize(BuildUdp(f, L2Addrs{.src = ZoneMac(0), .dst = options_.gateway.mac},
                      Endpoint{src, 4000}, Endpoint{dst, 7}, AsBytes("hostile")));
    return f;
  }

  UniqueFd raw_;
};

TEST_F(HostileTest, MalformedSpoofedAndFragmentsAreCountedAndDropped) {
  UdpEchoServer echo(MUST(BindUdp(host(), Endpoint{kOutside4, 7})));
  SwitchStats before = Stats();
  const IpAddr me = ZoneIp4(0);

  std::vector<uint8_t> good = Udp4(me);
  ASSERT_GT(good.size(), 42u);
  Inject(std::span(good).first(20));  // truncated IPv4 header
  std::vector<uint8_t> f = good;
  f[16] = 0x0f;  // IPv4 total length 4000 > frame
  Inject(f);
  f = good;
  f[14] = 0x43;  // IHL 3 (< 5)
  Inject(f);
  constexpr uint64_t kMalformed = 3;

  f = Udp4(IpAddr::V4(10, 75, 0, 99));  // someone else's address
  Inject(f);
  f = Udp4(IpAddr::V4(0, 0, 0, 0));
  Inject(f);
  f = good;
  f[6] ^= 0x40;  // someone else's MAC
  Inject(f);
  constexpr uint64_t kSpoofed = 3;

  f = good;
  f[20] = 0x20;  // IPv4 "more fragments"
  Inject(f);
  // IPv6 with a fragment header (RFC 8200 4.5), from the zone's own address.
  std::vector<uint8_t> v6(14 + 40 + 8 + 16, 0);
  std::memcpy(v6.data(), options_.gateway.mac.data(), 6);
  std::memcpy(v6.data() + 6, ZoneMac(0).data(), 6);
  v6[12] = 0x86, v6[13] = 0xdd, v6[14] = 0x60;
  v6[19] = 8 + 16;  // payload length
  v6[20] = 44;      // next header: fragment
  v6[21] = 64;
  std::memcpy(v6.data() + 22, ZoneIp6(0).b.data(), 16);
  std::memcpy(v6.data() + 38, kOutside6.b.data(), 16);
  v6[54] = 17;  // fragment of a UDP datagram
  v6[57] = 1;   // offset 0, M=1
  v6[61] = 42;  // identification
  Inject(v6);
  constexpr uint64_t kFragments = 2;

  // Through the gateway to the host's loopback: never NATed.
  f = Udp4(me, IpAddr::V4(127, 0, 0, 1));
  Inject(f);

  ASSERT_TRUE(WaitFor([&] {
    SwitchStats s = Stats();
    return s.malformed >= before.malformed + kMalformed && s.spoofed >= before.spoofed + kSpoofed &&
           s.fragments >= before.fragments + kFragments && s.unroutable >= before.unroutable + 1;
  }));
  SwitchStats after = Stats();
  EXPECT_EQ(after.malformed - before.malformed, kMalformed);
  EXPECT_EQ(after.spoofed - before.spoofed, kSpoofed);
  EXPECT_EQ(after.fragments - before.fragments, kFragments);

  // The well-formed original still goes through.
  Result<UniqueFd> c = ConnectUdp(zone(), Endpoint{kOutside4, 7});
  ASSERT_TRUE(c.has_value());
  ExpectUdpEcho(c->get(), "still fine");
}

TEST_F(HostileTest, JunkFloodThenTcpStillWorks) {
  constexpr int kJunk = 100000;
  SwitchStats before = Stats();
  std::mt19937 rng(1476);
  std::vector<uint8_t> pool(1 << 20);  // random bytes to cut frames from (cheaper than rng)
  for (uint8_t& b : pool) b = static_cast<uint8_t>(rng());
  auto t0 = std::chrono::steady_clock::now();
  const uint16_t kTypes[] = {0x0800, 0x86dd, 0x0806, 0x8100, 0x1234};
  std::vector<uint8_t> f(1514);
  for (int i = 0; i < kJunk; ++i) {
    size_t len = 14 + rng() % 1500;
    std::memcpy(f.data(), pool.data() + rng() % (pool.size() - len), len);
    // Half claim the zone's own MAC (so they reach the parser), half the gateway's.
    if (i % 2 == 0) std::memcpy(f.data() + 6, ZoneMac(0).data(), 6);
    if (i % 3 == 0) std::memcpy(f.data(), options_.gateway.mac.data(), 6);
    uint16_t type = kTypes[rng() % 5];
    f[12] = static_cast<uint8_t>(type >> 8), f[13] = static_cast<uint8_t>(type);
    if (type == 0x0800) f[14] = static_cast<uint8_t>(0x40 | (rng() % 16));
    ssize_t n = ::send(raw_.get(), f.data(), len, 0);
    ASSERT_EQ(n, static_cast<ssize_t>(len)) << i << ": " << std::strerror(errno);
  }
  std::printf("junk sent in %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  // TCP afterwards: the switch neither crashed nor wedged.
  TcpServer srv(MUST(ListenTcp(host(), Endpoint{kOutside4, 5010})), EchoHandler);
  Result<UniqueFd> c = ConnectTcp(zone(), Endpoint{kOutside4, 5010});
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  ExpectBulkEcho(c->get(), 1 << 20);
  SwitchStats after = Stats();
  uint64_t dropped = (after.malformed - before.malformed) + (after.spoofed - before.spoofed) +
                     (after.unroutable - before.unroutable) + (after.fragments - before.fragments);
  std::printf("junk: %lu frames in, %lu dropped as malformed/spoofed/unroutable/fragment\n",
              after.frames_in - before.frames_in, dropped);
  // The kernel may drop some junk itself when queues overflow; most must reach the switch.
  EXPECT_GE(after.frames_in - before.frames_in, uint64_t{kJunk / 2});
  EXPECT_GE(dropped, uint64_t{kJunk / 4});
}

}  // namespace
}  // namespace krata::net::testing
