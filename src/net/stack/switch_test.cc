// The switch rules with in-memory links (no namespaces, no root): anti-spoofing, the gateway,
// forwarding and flooding between ports, the DNS rule.

#include "net/stack/switch.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <deque>

#include "net/packet/build.h"
#include "net/packet/testing.h"

namespace krata::net {
namespace {

using testing::ChecksumsVerify;

// A link whose frames come from a queue; its fd (an eventfd) is readable while frames wait.
class FakeLink final : public Link {
 public:
  explicit FakeLink(std::string name)
      : name_(std::move(name)), fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  int fd() const override { return fd_.get(); }
  const std::string& name() const override { return name_; }
  Result<size_t> Receive(std::span<uint8_t> buf) override {
    if (in_.empty()) {
      uint64_t v;
      (void)!::read(fd_.get(), &v, sizeof(v));
      return size_t{0};
    }
    std::vector<uint8_t> f = std::move(in_.front());
    in_.pop_front();
    size_t n = std::min(buf.size(), f.size());
    std::memcpy(buf.data(), f.data(), n);
    return n;
  }
  bool Send(ByteSpan frame) override {
    auto p = reinterpret_cast<const uint8_t*>(frame.data());
    out.emplace_back(p, p + frame.size());
    return true;
  }
  void Inject(std::vector<uint8_t> f) {
    in_.push_back(std::move(f));
    uint64_t one = 1;
    (void)!::write(fd_.get(), &one, sizeof(one));
  }
  std::vector<std::vector<uint8_t>> out;

 private:
  std::string name_;
  UniqueFd fd_;
  std::deque<std::vector<uint8_t>> in_;
};

constexpr Mac kGwMac{0x02, 0, 0x0a, 0x4b, 0, 0x01};
constexpr Mac kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

Mac ZMac(uint8_t n) { return Mac{0x02, 0, 0x0a, 0x4b, 0, static_cast<uint8_t>(n + 2)}; }
IpAddr ZIp(uint8_t n) { return IpAddr::V4(10, 75, 0, static_cast<uint8_t>(n + 2)); }

// RFC 826 request "who has target? tell sender".
std::vector<uint8_t> ArpRequest(const Mac& smac, const IpAddr& sip, const IpAddr& target) {
  std::vector<uint8_t> f(42, 0);
  std::memcpy(f.data(), kBroadcast.data(), 6);
  std::memcpy(f.data() + 6, smac.data(), 6);
  f[12] = 0x08, f[13] = 0x06;
  f[14] = 0, f[15] = 1, f[16] = 0x08, f[17] = 0, f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1;
  std::memcpy(f.data() + 22, smac.data(), 6);
  std::memcpy(f.data() + 28, sip.b.data(), 4);
  std::memcpy(f.data() + 38, target.b.data(), 4);
  return f;
}

std::vector<uint8_t> Udp(const Mac& src, const Mac& dst, const Endpoint& from, const Endpoint& to,
                         std::string_view payload = "payload") {
  std::vector<uint8_t> f(1514);
  f.resize(BuildUdp(f, L2Addrs{.src = src, .dst = dst}, from, to, AsBytes(payload)));
  return f;
}

class SwitchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_ = MUST(EventLoop::Create());
    SwitchOptions o;
    o.gateway.mac = kGwMac;
    o.gateway.ip4 = IpAddr::V4(10, 75, 0, 1);
    o.gateway.ip6 = MUST(ParseIp("fdd4:1476:6c7e::1"));
    o.gateway.subnet4 = MUST(ParseSubnet("10.75.0.0/16"));
    o.gateway.subnet6 = MUST(ParseSubnet("fdd4:1476:6c7e::/48"));
    // A loopback "resolver" on an ephemeral port.
    resolver_ = UniqueFd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(resolver_.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
    socklen_t len = sizeof(sin);
    ::getsockname(resolver_.get(), reinterpret_cast<sockaddr*>(&sin), &len);
    o.gateway.dns_upstreams = {Endpoint{IpAddr::V4(127, 0, 0, 1), ntohs(sin.sin_port)}};
    sw_ = MUST(Switch::Create(*loop_, o));
    for (uint8_t n = 0; n < 2; ++n) {
      auto link = std::make_unique<FakeLink>("fake" + std::to_string(n));
      links_[n] = link.get();
      ZoneAddrs z{.name = "zone" + std::to_string(n), .mac = ZMac(n), .ip4 = ZIp(n), .ip6 = {}};
      z.ip6 = MUST(ParseIp("fdd4:1476:6c7e::" + std::to_string(n + 2)));
      Status st = sw_->AttachZone(z, std::move(link), {});
      ASSERT_TRUE(st.has_value()) << st.error().ToString();
    }
  }

  // Runs the loop until cond holds (2 s at most).
  template <typename F>
  bool RunUntil(F cond) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!cond() && std::chrono::steady_clock::now() < end) {
      (void)loop_->RunOnce(std::chrono::milliseconds(10));
    }
    return cond();
  }
  void Drain() {
    for (int i = 0; i < 5; ++i) (void)loop_->RunOnce(std::chrono::milliseconds(1));
  }

  std::unique_ptr<EventLoop> loop_;
  UniqueFd resolver_;
  std::unique_ptr<Switch> sw_;
  FakeLink* links_[2] = {};
};

TEST_F(SwitchTest, GatewayAnswersArp) {
  links_[0]->Inject(ArpRequest(ZMac(0), ZIp(0), IpAddr::V4(10, 75, 0, 1)));
  ASSERT_TRUE(RunUntil([&] { return !links_[0]->out.empty(); }));
  const std::vector<uint8_t>& reply = links_[0]->out[0];
  ASSERT_GE(reply.size(), 42u);
  EXPECT_EQ(reply[21], 2);  // ARP reply
  EXPECT_EQ(std::memcmp(reply.data() + 22, kGwMac.data(), 6), 0);
  EXPECT_TRUE(links_[1]->out.empty());  // answered, not flooded
  EXPECT_EQ(sw_->stats().frames_in, 1u);
  EXPECT_EQ(sw_->stats().frames_out, 1u);
}

TEST_F(SwitchTest, ArpForAnotherZoneIsFloodedNotReflected) {
  links_[0]->Inject(ArpRequest(ZMac(0), ZIp(0), ZIp(1)));
  ASSERT_TRUE(RunUntil([&] { return !links_[1]->out.empty(); }));
  Drain();
  EXPECT_TRUE(links_[0]->out.empty());
}

TEST_F(SwitchTest, SpoofedSourcesAreDropped) {
  Mac other{0x02, 0, 0, 0, 0, 0x99};
  links_[0]->Inject(ArpRequest(other, ZIp(0), ZIp(1)));                    // MAC
  links_[0]->Inject(ArpRequest(ZMac(0), ZIp(1), ZIp(1)));                  // ARP sender IP
  links_[0]->Inject(ArpRequest(ZMac(0), IpAddr::V4(0, 0, 0, 0), ZIp(1)));  // probe
  links_[0]->Inject(Udp(ZMac(0), ZMac(1), {ZIp(1), 1}, {ZIp(1), 2}));      // IPv4 source
  links_[0]->Inject(Udp(ZMac(0), kGwMac, {IpAddr::V4(8, 8, 8, 8), 1}, {ZIp(1), 2}));
  ASSERT_TRUE(RunUntil([&] { return sw_->stats().spoofed == 5; }));
  Drain();
  EXPECT_TRUE(links_[0]->out.empty());
  EXPECT_TRUE(links_[1]->out.empty());
}

TEST_F(SwitchTest, ZoneToZoneCompletesThePartialChecksum) {
  std::vector<uint8_t> f = Udp(ZMac(0), ZMac(1), {ZIp(0), 1000}, {ZIp(1), 2000});
  ASSERT_TRUE(ChecksumsVerify(f));
  std::vector<uint8_t> partial = f;
  partial[40] = 0x12, partial[41] = 0x34;  // UDP checksum as offload leaves it: not final
  links_[0]->Inject(partial);
  ASSERT_TRUE(RunUntil([&] { return !links_[1]->out.empty(); }));
  EXPECT_EQ(links_[1]->out[0], f);
  EXPECT_TRUE(links_[0]->out.empty());
}

TEST_F(SwitchTest, UnknownMacAndLoopbackAreUnroutable) {
  Mac nobody{0x02, 0, 0, 0, 0, 0x77};
  links_[0]->Inject(Udp(ZMac(0), nobody, {ZIp(0), 1}, {ZIp(1), 2}));
  links_[0]->Inject(Udp(ZMac(0), kGwMac, {ZIp(0), 1}, {IpAddr::V4(127, 0, 0, 1), 2}));
  links_[0]->Inject(Udp(ZMac(0), kGwMac, {ZIp(0), 1}, {ZIp(1), 2}));  // zone subnet via gw
  ASSERT_TRUE(RunUntil([&] { return sw_->stats().unroutable == 3; }));
}

TEST_F(SwitchTest, DnsToTheGatewayReachesTheUpstream) {
  links_[0]->Inject(Udp(ZMac(0), kGwMac, {ZIp(0), 5353}, {IpAddr::V4(10, 75, 0, 1), 53}, "query"));
  char buf[64];
  ssize_t n = -1;
  ASSERT_TRUE(RunUntil([&] {
    if (n < 0) n = ::recv(resolver_.get(), buf, sizeof(buf), MSG_DONTWAIT);
    return n >= 0;
  }));
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "query");
}

TEST_F(SwitchTest, AttachRejectsDuplicates) {
  ZoneAddrs z{.name = "zone0", .mac = Mac{0x02, 0, 0, 0, 0, 0x55}, .ip4 = ZIp(5), .ip6 = {}};
  EXPECT_FALSE(sw_->AttachZone(z, std::make_unique<FakeLink>("dup"), {}).has_value());
  z.name = "zone5";
  z.mac = ZMac(1);
  EXPECT_FALSE(sw_->AttachZone(z, std::make_unique<FakeLink>("dup"), {}).has_value());
  z.mac = kGwMac;
  EXPECT_FALSE(sw_->AttachZone(z, std::make_unique<FakeLink>("dup"), {}).has_value());
  EXPECT_FALSE(sw_->HasZone("zone5"));
  sw_->DetachZone("zone1");
  EXPECT_FALSE(sw_->HasZone("zone1"));
  links_[0]->Inject(Udp(ZMac(0), ZMac(1), {ZIp(0), 1}, {ZIp(1), 2}));
  ASSERT_TRUE(RunUntil([&] { return sw_->stats().unroutable == 1; }));
}

}  // namespace
}  // namespace krata::net
