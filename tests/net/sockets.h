#pragma once
// Socket helpers and small servers for the kratanet integration tests. Every test socket
// has 10 s send/receive timeouts, so a broken path fails a test instead of hanging it.

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "base/unique_handle.h"
#include "net/packet/addr.h"

namespace krata::net::testing {

Status SetTimeouts(int fd, int seconds = 10);
// A TCP listener / bound UDP socket on `ep`, created in netns `ns`.
Result<UniqueFd> ListenTcp(const std::string& ns, const Endpoint& ep);
Result<UniqueFd> BindUdp(const std::string& ns, const Endpoint& ep);
// A TCP connection from netns `ns` to `ep`; the error keeps connect's errno.
Result<UniqueFd> ConnectTcp(const std::string& ns, const Endpoint& ep);
// A UDP socket in `ns` connected to `ep`.
Result<UniqueFd> ConnectUdp(const std::string& ns, const Endpoint& ep);
// Reads until EOF (or error); returns the bytes.
Result<std::string> ReadToEof(int fd);

// Accepts on `listener` on a thread and runs handler(conn) on a thread per connection.
// The destructor stops accepting, shuts down live connections and joins.
class TcpServer {
 public:
  using Handler = std::function<void(UniqueFd conn)>;
  TcpServer(UniqueFd listener, Handler handler);
  ~TcpServer();
  uint16_t port() const { return port_; }
  size_t accepted() const { return accepted_; }

 private:
  void AcceptLoop();
  UniqueFd listener_;
  UniqueFd stop_;  // eventfd
  Handler handler_;
  uint16_t port_ = 0;
  std::atomic<size_t> accepted_{0};
  std::mutex mu_;
  std::vector<int> live_;  // connection fds, for shutdown at destruction
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

// Echo handler: writes back what it reads; on EOF it half-closes (shutdown SHUT_WR).
void EchoHandler(UniqueFd conn);

// Echoes every datagram on `sock` back to its sender until destroyed.
class UdpEchoServer {
 public:
  explicit UdpEchoServer(UniqueFd sock);
  ~UdpEchoServer();

 private:
  UniqueFd sock_;
  UniqueFd stop_;
  std::thread thread_;
};

// The byte at `offset` of the deterministic test stream (so 16 MiB need not be stored).
inline uint8_t PatternByte(uint64_t offset) {
  uint64_t x = offset * 0x9E3779B97F4A7C15ull;
  return static_cast<uint8_t>(x >> 56);
}

}  // namespace krata::net::testing
