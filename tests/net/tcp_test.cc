// TCP from a zone to "outside" servers in the host netns, through kratanet's TCP NAT.

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <future>
#include <thread>

#include "base/eintr.h"
#include "base/file.h"
#include "tests/net/fixture.h"
#include "tests/net/traffic.h"

namespace krata::net::testing {
namespace {

class TcpTest : public OneZoneTest {
 protected:
  void Bulk(const IpAddr& server_ip) {
    TcpServer srv(MUST(ListenTcp(host(), Endpoint{server_ip, 5001})), EchoHandler);
    Result<UniqueFd> c = ConnectTcp(zone(), Endpoint{server_ip, 5001});
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    std::atomic<bool> done{false};
    std::thread monitor([&] {
      for (int i = 0; !done && getenv("KRATA_NET_MONITOR"); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        std::printf("%d: %s\n", i, StatsText().c_str());
      }
    });
    double mbps = ExpectBulkEcho(c->get(), 16 << 20);
    done = true;
    monitor.join();
    if (HasFailure()) std::printf("%s\n", StatsText().c_str());
    std::printf("16 MiB each way via %s: %.0f MiB/s\n", ToString(server_ip).c_str(), mbps);
  }
};

TEST_F(TcpTest, Bulk16MiBBothDirectionsIpv4) { Bulk(kOutside4); }

TEST_F(TcpTest, Bulk16MiBBothDirectionsIpv6) { Bulk(kOutside6); }

TEST_F(TcpTest, TwoHundredConcurrentConnections) {
  constexpr int kConns = 200;
  TcpServer srv(MUST(ListenTcp(host(), Endpoint{kOutside4, 5002})), EchoHandler);
  std::vector<UniqueFd> conns;
  for (int i = 0; i < kConns; ++i) {
    Result<UniqueFd> c = ConnectTcp(zone(), Endpoint{kOutside4, 5002});
    ASSERT_TRUE(c.has_value()) << i << ": " << c.error().ToString();
    conns.push_back(std::move(*c));
  }
  // All open at once: the NAT holds a flow for each.
  EXPECT_GE(stack_->Call([](Switch& sw) { return sw.tcp_stats().flows; }), size_t{kConns});
  for (int i = 0; i < kConns; ++i) {
    std::string msg = "connection " + std::to_string(i) + std::string(1000, 'a' + i % 26);
    ASSERT_TRUE(SendAll(conns[i].get(), msg).has_value());
  }
  for (int i = 0; i < kConns; ++i) {
    std::string msg = "connection " + std::to_string(i) + std::string(1000, 'a' + i % 26);
    std::string back(msg.size(), '\0');
    ASSERT_TRUE(ReadExact(conns[i].get(), back.data(), back.size()).has_value()) << i;
    EXPECT_EQ(back, msg);
  }
  EXPECT_EQ(srv.accepted(), size_t{kConns});
}

TEST_F(TcpTest, HalfCloseKeepsTheOtherDirection) {
  // The server answers only after the client's FIN: the zone must still receive.
  TcpServer srv(MUST(ListenTcp(host(), Endpoint{kOutside4, 5003})), [](UniqueFd conn) {
    Result<std::string> got = ReadToEof(conn.get());
    std::string reply = "received " + std::to_string(got.has_value() ? got->size() : 0);
    (void)SendAll(conn.get(), reply);
  });
  Result<UniqueFd> c = ConnectTcp(zone(), Endpoint{kOutside4, 5003});
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  ASSERT_TRUE(SendAll(c->get(), std::string(100000, 'x')).has_value());
  ASSERT_EQ(::shutdown(c->get(), SHUT_WR), 0);
  Result<std::string> reply = ReadToEof(c->get());
  ASSERT_TRUE(reply.has_value()) << reply.error().ToString();
  EXPECT_EQ(*reply, "received 100000");
}

TEST_F(TcpTest, ResetPropagatesBothWays) {
  // Host server resets -> the zone sees ECONNRESET.
  {
    TcpServer srv(MUST(ListenTcp(host(), Endpoint{kOutside4, 5004})), [](UniqueFd conn) {
      char b;
      (void)::recv(conn.get(), &b, 1, 0);  // wait for the zone's byte
      linger lg{.l_onoff = 1, .l_linger = 0};
      ::setsockopt(conn.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    });
    Result<UniqueFd> c = ConnectTcp(zone(), Endpoint{kOutside4, 5004});
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    ASSERT_TRUE(SendAll(c->get(), "x").has_value());
    char b;
    ssize_t n = RetryEintr([&] { return ::recv(c->get(), &b, 1, 0); });
    EXPECT_EQ(n, -1);
    EXPECT_EQ(errno, ECONNRESET) << std::strerror(errno);
  }
  // The zone resets -> the host server sees ECONNRESET.
  std::promise<int> server_errno;
  TcpServer srv(MUST(ListenTcp(host(), Endpoint{kOutside4, 5005})), [&](UniqueFd conn) {
    char b;
    ssize_t n = ::recv(conn.get(), &b, 1, 0);
    if (n == 1) n = ::recv(conn.get(), &b, 1, 0);
    server_errno.set_value(n < 0 ? errno : 0);
  });
  Result<UniqueFd> c = ConnectTcp(zone(), Endpoint{kOutside4, 5005});
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  ASSERT_TRUE(SendAll(c->get(), "y").has_value());
  linger lg{.l_onoff = 1, .l_linger = 0};
  ASSERT_EQ(::setsockopt(c->get(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
  c->reset();
  std::future<int> f = server_errno.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(f.get(), ECONNRESET);
}

TEST_F(TcpTest, ConnectionRefused) {
  for (const IpAddr& ip : {kOutside4, kOutside6}) {
    Result<UniqueFd> c = ConnectTcp(zone(), Endpoint{ip, 9});
    ASSERT_FALSE(c.has_value()) << ToString(ip);
    EXPECT_EQ(c.error().errno_value(), ECONNREFUSED) << c.error().ToString();
  }
  EXPECT_GE(stack_->Call([](Switch& sw) { return sw.tcp_stats().refused; }), 2u);
}

}  // namespace
}  // namespace krata::net::testing
