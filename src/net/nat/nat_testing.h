#pragma once
// Test helpers (tests only): a ZonePort capturing frames, frames from the zone, loopback
// sockets, and driving the loop until a condition holds.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/unique_handle.h"
#include "net/loop/event_loop.h"
#include "net/packet/addr.h"
#include "net/packet/build.h"
#include "net/packet/frame.h"
#include "net/packet/testing.h"  // Span, ChecksumsVerify
#include "net/stack/zone_port.h"

namespace krata::net::testing {

inline IpAddr Ip(std::string_view s) { return MUST(ParseIp(s)); }

class FakeZonePort : public ZonePort {
 public:
  explicit FakeZonePort(uint8_t n = 2) {
    zone_.name = "zone" + std::to_string(n);
    zone_.mac = Mac{0x02, 0, 0, 0, 0, n};
    zone_.ip4 = IpAddr::V4(10, 75, 0, n);
    zone_.ip6 = Ip("fd00:75::" + std::to_string(n));
    gw_.mac = Mac{0x02, 0, 0, 0, 0, 1};
    gw_.ip4 = IpAddr::V4(10, 75, 0, 1);
    gw_.ip6 = Ip("fd00:75::1");
    gw_.subnet4 = MUST(ParseSubnet("10.75.0.0/16"));
    gw_.subnet6 = MUST(ParseSubnet("fd00:75::/64"));
  }
  const ZoneAddrs& zone() const override { return zone_; }
  const GatewayConfig& gateway() const override { return gw_; }
  bool SendToZone(ByteSpan frame) override {
    auto p = reinterpret_cast<const uint8_t*>(frame.data());
    frames.emplace_back(p, p + frame.size());
    return true;
  }
  IpAddr ip(bool v6) const { return v6 ? zone_.ip6 : zone_.ip4; }
  IpAddr gw_ip(bool v6) const { return v6 ? gw_.ip6 : gw_.ip4; }

  std::vector<std::vector<uint8_t>> frames;

 private:
  ZoneAddrs zone_;
  GatewayConfig gw_;
};

inline std::string Str(ByteSpan b) { return std::string(AsChars(b)); }

// A frame the zone sends to the gateway MAC.
inline std::vector<uint8_t> ZoneUdp(const ZonePort& port, const Endpoint& src, const Endpoint& dst,
                                    std::string_view payload) {
  std::vector<uint8_t> f(kMaxFrameBytes);
  size_t n = BuildUdp(f, L2Addrs{.src = port.zone().mac, .dst = port.gateway().mac}, src, dst,
                      AsBytes(payload));
  f.resize(n);
  return f;
}

inline std::vector<uint8_t> ZoneEcho(const ZonePort& port, const IpAddr& src, const IpAddr& dst,
                                     uint16_t id, uint16_t seq, std::string_view data) {
  std::vector<uint8_t> f(kMaxFrameBytes);
  size_t n = BuildIcmpEcho(f, L2Addrs{.src = port.zone().mac, .dst = port.gateway().mac}, src, dst,
                           false, id, seq, AsBytes(data));
  f.resize(n);
  return f;
}

// What the zone receives, built the way the NAT must build it.
inline std::vector<uint8_t> ExpectedUdp(const ZonePort& port, const Endpoint& src,
                                        const Endpoint& dst, std::string_view payload) {
  std::vector<uint8_t> f(kMaxFrameBytes);
  size_t n = BuildUdp(f, L2Addrs{.src = port.gateway().mac, .dst = port.zone().mac}, src, dst,
                      AsBytes(payload));
  f.resize(n);
  return f;
}

inline Frame Parse(const std::vector<uint8_t>& f) { return MUST(ParseFrame(Span(f))); }

// Runs the loop until pred() holds or `limit` passes; returns pred().
inline bool RunUntil(EventLoop& loop, const std::function<bool()>& pred,
                     std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto deadline = EventLoop::Clock::now() + limit;
  while (!pred()) {
    if (EventLoop::Clock::now() >= deadline) return false;
    MUST(loop.RunOnce(std::chrono::milliseconds(10)));
  }
  return true;
}

// A non-blocking UDP socket bound to loopback (127.0.0.1 or ::1) on an ephemeral port.
class LoopbackUdp {
 public:
  explicit LoopbackUdp(bool v6, uint16_t port = 0) {
    fd_.reset(::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    Endpoint ep{.ip = v6 ? Ip("::1") : IpAddr::V4(127, 0, 0, 1), .port = port};
    sockaddr_storage sa{};
    socklen_t len = ToSockaddr(ep, &sa);
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0) std::abort();
    len = sizeof sa;
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&sa), &len);
    local_ = MUST(FromSockaddr(reinterpret_cast<sockaddr*>(&sa), len));
  }
  const Endpoint& local() const { return local_; }
  int fd() const { return fd_.get(); }

  void SendTo(const Endpoint& to, std::string_view data) {
    sockaddr_storage sa{};
    socklen_t len = ToSockaddr(to, &sa);
    if (::sendto(fd_.get(), data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&sa), len) !=
        static_cast<ssize_t>(data.size())) {
      std::abort();
    }
  }
  // Runs the loop until one datagram arrives (a failed expectation, and empty, if none does).
  std::pair<std::string, Endpoint> RecvWhileRunning(EventLoop& loop) {
    std::optional<std::pair<std::string, Endpoint>> got;
    EXPECT_TRUE(RunUntil(loop, [&] { return (got = Recv()).has_value(); }));
    return got.value_or(std::pair<std::string, Endpoint>{});
  }
  // One datagram and its sender, if any is queued.
  std::optional<std::pair<std::string, Endpoint>> Recv() {
    std::string buf(65536, '\0');
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    ssize_t n = ::recvfrom(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&sa), &len);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<size_t>(n));
    return std::make_pair(buf, MUST(FromSockaddr(reinterpret_cast<sockaddr*>(&sa), len)));
  }

 private:
  UniqueFd fd_;
  Endpoint local_;
};

// A loopback port nothing listens on (bound, noted and closed again).
inline uint16_t FreeUdpPort(bool v6) { return LoopbackUdp(v6).local().port; }

}  // namespace krata::net::testing
