#include "tests/net/traffic.h"

#include <gtest/gtest.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "base/eintr.h"
#include "base/file.h"
#include "tests/net/netns.h"
#include "tests/net/sockets.h"

namespace krata::net::testing {

double ExpectBulkEcho(int fd, size_t bytes) {
  auto start = std::chrono::steady_clock::now();
  bool sent_ok = true;
  std::thread writer([&] {
    std::vector<char> chunk(64 << 10);
    for (size_t off = 0; off < bytes;) {
      size_t n = std::min(chunk.size(), bytes - off);
      for (size_t i = 0; i < n; ++i) chunk[i] = static_cast<char>(PatternByte(off + i));
      if (!SendAll(fd, std::string_view(chunk.data(), n)).has_value()) {
        sent_ok = false;
        break;
      }
      off += n;
    }
    ::shutdown(fd, SHUT_WR);
  });
  std::vector<uint8_t> buf(64 << 10);
  size_t total = 0, mismatches = 0;
  int err = 0;
  for (;;) {
    ssize_t n = RetryEintr([&] { return ::recv(fd, buf.data(), buf.size(), 0); });
    if (n < 0) err = errno;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[static_cast<size_t>(i)] != PatternByte(total + static_cast<size_t>(i))) ++mismatches;
    }
    total += static_cast<size_t>(n);
  }
  writer.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(sent_ok);
  EXPECT_EQ(err, 0) << std::strerror(err);
  EXPECT_EQ(total, bytes);
  EXPECT_EQ(mismatches, 0u);
  return static_cast<double>(total) / (1 << 20) / secs;
}

void ExpectEcho(int fd, std::string_view msg) {
  ASSERT_TRUE(SendAll(fd, msg).has_value());
  std::string back(msg.size(), '\0');
  Status st = ReadExact(fd, back.data(), back.size());
  ASSERT_TRUE(st.has_value()) << st.error().ToString();
  EXPECT_EQ(back, msg);
}

void ExpectUdpEcho(int fd, std::string_view msg) {
  ASSERT_EQ(::send(fd, msg.data(), msg.size(), 0), static_cast<ssize_t>(msg.size()))
      << std::strerror(errno);
  std::string back(65536, '\0');
  ssize_t n = RetryEintr([&] { return ::recv(fd, back.data(), back.size(), 0); });
  ASSERT_GE(n, 0) << std::strerror(errno);
  back.resize(static_cast<size_t>(n));
  EXPECT_EQ(back, msg);
}

void ExpectPing(const std::string& ns, const IpAddr& dst, int count) {
  Result<UniqueFd> sock = SocketIn(ns, dst.v6 ? AF_INET6 : AF_INET, SOCK_DGRAM,
                                   dst.v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP});
  ASSERT_TRUE(sock.has_value()) << sock.error().ToString();
  int fd = sock->get();
  ASSERT_TRUE(SetTimeouts(fd, 5).has_value());
  sockaddr_storage ss{};
  socklen_t len = ToSockaddr(Endpoint{dst, 0}, &ss);
  for (int seq = 1; seq <= count; ++seq) {
    // The kernel fills in the identifier and the checksum of ping sockets.
    uint8_t req[8 + 32] = {};
    req[0] = dst.v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
    req[6] = 0;
    req[7] = static_cast<uint8_t>(seq);
    for (size_t i = 8; i < sizeof(req); ++i) req[i] = static_cast<uint8_t>(i * seq);
    ASSERT_EQ(::sendto(fd, req, sizeof(req), 0, reinterpret_cast<sockaddr*>(&ss), len),
              static_cast<ssize_t>(sizeof(req)))
        << std::strerror(errno);
    uint8_t rep[1500];
    ssize_t n = RetryEintr([&] { return ::recv(fd, rep, sizeof(rep), 0); });
    ASSERT_EQ(n, static_cast<ssize_t>(sizeof(req)))
        << "ping " << ToString(dst) << " seq " << seq << ": " << std::strerror(errno);
    EXPECT_EQ(rep[0], dst.v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY);
    EXPECT_EQ(rep[7], seq);
    EXPECT_EQ(std::memcmp(rep + 8, req + 8, sizeof(req) - 8), 0);
  }
}

}  // namespace krata::net::testing
