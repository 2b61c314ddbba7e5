// The links alone: AF_PACKET on a veth pair, and a TAP device, inside a throw-away netns.

#include "net/link/link.h"

#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>

#include "net/packet/build.h"
#include "tests/net/netns.h"

namespace krata::net::testing {
namespace {

constexpr Mac kA{0x02, 0, 0, 0, 0, 0xa};
constexpr Mac kB{0x02, 0, 0, 0, 0, 0xb};

std::vector<uint8_t> TestFrame(uint8_t tag) {
  std::vector<uint8_t> f(60, tag);
  std::memcpy(f.data(), kB.data(), 6);
  std::memcpy(f.data() + 6, kA.data(), 6);
  f[12] = 0x88, f[13] = 0xb5;  // IEEE 802 local experimental ethertype
  return f;
}

// Receives frames on `link` until one with our ethertype arrives (the kernel may send its
// own, e.g. IPv6 router solicitations) or `limit` passes.
std::vector<uint8_t> ReceiveTestFrame(Link& link,
                                      std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  std::vector<uint8_t> buf(kMaxFrameBytes);
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{link.fd(), POLLIN, 0};
    ::poll(&p, 1, 100);
    Result<size_t> n = link.Receive(buf);
    if (!n.has_value() || *n == 0) continue;
    if (*n >= 14 && buf[12] == 0x88 && buf[13] == 0xb5) return {buf.begin(), buf.begin() + *n};
  }
  return {};
}

class LinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ns_.emplace(MUST(Netns::Create("l")));
    ASSERT_TRUE(Ip(ns_->name(), {"link", "add", "kla", "address", ToString(kA), "type", "veth",
                                 "peer", "name", "klb", "address", ToString(kB)})
                    .has_value());
    for (const char* i : {"kla", "klb"}) {
      ASSERT_TRUE(WriteSysctl(ns_->name(), std::string("net/ipv6/conf/") + i + "/disable_ipv6", "1")
                      .has_value());
    }
  }
  std::optional<Netns> ns_;
};

TEST_F(LinkTest, MissingInterfaceIsAClearError) {
  Result<std::unique_ptr<Link>> l =
      RunInNetns(ns_->name(), [] { return OpenPacketLink("kn-missing0"); });
  ASSERT_FALSE(l.has_value());
  EXPECT_NE(l.error().ToString().find("no interface kn-missing0"), std::string::npos)
      << l.error().ToString();
}

TEST_F(LinkTest, PacketLinkCarriesFramesBothWays) {
  auto a = RunInNetns(ns_->name(), [] { return OpenPacketLink("kla"); });
  auto b = RunInNetns(ns_->name(), [] { return OpenPacketLink("klb"); });
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  EXPECT_EQ((*a)->name(), "kla");
  std::vector<uint8_t> f = TestFrame(1);
  ASSERT_TRUE((*a)->Send(std::as_bytes(std::span(f))));
  EXPECT_EQ(ReceiveTestFrame(**b), f);
  // Our own transmission is not looped back to us (PACKET_IGNORE_OUTGOING).
  std::vector<uint8_t> back = TestFrame(2);
  ASSERT_TRUE((*b)->Send(std::as_bytes(std::span(back))));
  EXPECT_EQ(ReceiveTestFrame(**a), back);
  EXPECT_TRUE(ReceiveTestFrame(**b, std::chrono::milliseconds(300)).empty());
}

TEST_F(LinkTest, ReceiveBatchTakesSeveralFrames) {
  auto a = RunInNetns(ns_->name(), [] { return OpenPacketLink("kla"); });
  auto b = RunInNetns(ns_->name(), [] { return OpenPacketLink("klb"); });
  ASSERT_TRUE(a.has_value() && b.has_value());
  for (uint8_t i = 0; i < 10; ++i) {
    std::vector<uint8_t> f = TestFrame(i);
    ASSERT_TRUE((*a)->Send(std::as_bytes(std::span(f))));
  }
  std::vector<uint8_t> storage(16 * 2048);
  std::vector<std::span<uint8_t>> bufs;
  for (size_t i = 0; i < 16; ++i) bufs.push_back(std::span(storage).subspan(i * 2048, 2048));
  std::vector<size_t> lens(16);
  size_t got = 0;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::vector<uint8_t> tags;
  while (tags.size() < 10 && std::chrono::steady_clock::now() < end) {
    pollfd p{(*b)->fd(), POLLIN, 0};
    ::poll(&p, 1, 100);
    Result<size_t> n = (*b)->ReceiveBatch(bufs, lens);
    ASSERT_TRUE(n.has_value());
    got = std::max(got, *n);
    for (size_t i = 0; i < *n; ++i) {
      if (lens[i] == 60 && bufs[i][12] == 0x88) tags.push_back(bufs[i][20]);
    }
  }
  ASSERT_EQ(tags.size(), 10u);
  for (uint8_t i = 0; i < 10; ++i) EXPECT_EQ(tags[i], i);
  EXPECT_GT(got, 1u);  // at least one call returned several frames
}

TEST_F(LinkTest, TapLinkHasMacMtuAndIsUp) {
  constexpr Mac kTap{0x02, 0x00, 0x0a, 0x4b, 0x00, 0xfe};
  auto tap = RunInNetns(ns_->name(), [&] { return OpenTapLink("kntap0", kTap, 1400); });
  ASSERT_TRUE(tap.has_value()) << tap.error().ToString();
  Result<UniqueFd> s = SocketIn(ns_->name(), AF_INET, SOCK_DGRAM);
  ASSERT_TRUE(s.has_value());
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "kntap0");
  ASSERT_EQ(::ioctl(s->get(), SIOCGIFMTU, &ifr), 0);
  EXPECT_EQ(ifr.ifr_mtu, 1400);
  ASSERT_EQ(::ioctl(s->get(), SIOCGIFHWADDR, &ifr), 0);
  EXPECT_EQ(std::memcmp(ifr.ifr_hwaddr.sa_data, kTap.data(), 6), 0);
  ASSERT_EQ(::ioctl(s->get(), SIOCGIFFLAGS, &ifr), 0);
  EXPECT_NE(ifr.ifr_flags & IFF_UP, 0);
  // Nothing to read yet (IPv6 may already be talking: drain), and writes are accepted.
  std::vector<uint8_t> f = TestFrame(7);
  EXPECT_TRUE((*tap)->Send(std::as_bytes(std::span(f))));
}

}  // namespace
}  // namespace krata::net::testing
