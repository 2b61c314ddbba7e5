// bench/net's traffic tool (not a test). One binary, run in the namespaces bench/net creates:
//   net-tool server PORT                 serves the three tests below on every address
//   net-tool send HOST PORT SECONDS      client -> server bulk TCP, prints bits/s delivered
//   net-tool recv HOST PORT SECONDS      server -> client bulk TCP, prints bits/s received
//   net-tool cps HOST PORT SECONDS       sequential connect/1-byte exchange/close, prints conn/s
//   net-tool offload-off IFNAME          TSO/GSO/GRO off, as krata-zone does on the zone's eth0
// The first byte a client sends selects the test. "send" counts what the server actually
// received during SECONDS from the first byte (it reports the count in-band, no half-close),
// so bytes buffered in a proxy on the way do not count.

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/eintr.h"
#include "base/unique_handle.h"
#include "net/netlink/rtnl.h"

namespace {

using krata::RetryEintr;
using krata::UniqueFd;
using Clock = std::chrono::steady_clock;
constexpr size_t kChunk = 128 << 10;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "net-tool: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

UniqueFd Connect(const char* host, const char* port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host, port, &hints, &res) != 0 || res == nullptr) Die("getaddrinfo");
  UniqueFd fd(socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) Die("socket");
  if (RetryEintr([&] { return connect(fd.get(), res->ai_addr, res->ai_addrlen); }) != 0) {
    Die(std::string("connect ") + host + ":" + port);
  }
  freeaddrinfo(res);
  return fd;
}

bool WriteAll(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = RetryEintr([&] { return ::send(fd, c, n, MSG_NOSIGNAL); });
    if (w <= 0) return false;
    c += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, void* p, size_t n) {
  char* c = static_cast<char*>(p);
  while (n > 0) {
    ssize_t r = RetryEintr([&] { return ::read(fd, c, n); });
    if (r <= 0) return false;
    c += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

void Serve(UniqueFd conn) {
  char mode = 0;
  if (RetryEintr([&] { return ::read(conn.get(), &mode, 1); }) != 1) return;
  std::vector<char> buf(kChunk, 'x');
  if (mode == 'S') {
    // Sink: counts what arrives in the client's duration from the first byte, reports it,
    // then drains until the client closes. No half-close: some translators mishandle it.
    uint64_t ms = 0;
    if (!ReadAll(conn.get(), &ms, sizeof(ms))) return;
    uint64_t total = 0;
    Clock::time_point end{};
    for (;;) {
      ssize_t r = RetryEintr([&] { return ::read(conn.get(), buf.data(), buf.size()); });
      if (r <= 0) return;
      if (total == 0) end = Clock::now() + std::chrono::milliseconds(ms);
      total += static_cast<uint64_t>(r);
      if (Clock::now() >= end) break;
    }
    (void)WriteAll(conn.get(), &total, sizeof(total));
    while (RetryEintr([&] { return ::read(conn.get(), buf.data(), buf.size()); }) > 0) {
    }
  } else if (mode == 'R') {  // source: until the client goes away
    while (WriteAll(conn.get(), buf.data(), buf.size())) {
    }
  } else if (mode == 'C') {  // one byte back, and we close first (TIME_WAIT stays here)
    (void)WriteAll(conn.get(), &mode, 1);
  }
}

int Server(const char* port) {
  UniqueFd l(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!l) Die("socket");
  int one = 1, zero = 0;
  setsockopt(l.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(l.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(static_cast<uint16_t>(std::atoi(port)));
  if (bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) Die("bind");
  if (listen(l.get(), 1024) != 0) Die("listen");
  std::printf("listening\n");
  std::fflush(stdout);
  for (;;) {
    int c = RetryEintr([&] { return accept4(l.get(), nullptr, nullptr, SOCK_CLOEXEC); });
    if (c < 0) continue;
    std::thread(Serve, UniqueFd(c)).detach();
  }
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int Send(const char* host, const char* port, double secs) {
  UniqueFd fd = Connect(host, port);
  std::vector<char> buf(kChunk, 'x');
  uint64_t ms = static_cast<uint64_t>(secs * 1000);
  if (!WriteAll(fd.get(), "S", 1) || !WriteAll(fd.get(), &ms, sizeof(ms))) Die("write");
  // The server times its window from the first byte it gets; we send a little longer so it
  // never waits for us, then read its count.
  auto end = Clock::now() + std::chrono::milliseconds(ms) + std::chrono::milliseconds(200);
  while (Clock::now() < end) {
    if (!WriteAll(fd.get(), buf.data(), buf.size())) Die("write");
  }
  uint64_t total = 0;
  if (!ReadAll(fd.get(), &total, sizeof(total))) Die("read total");
  // Reset instead of FIN: what is still queued must not compete with the next test.
  linger lg{1, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  std::printf("%.3f\n", static_cast<double>(total) * 8 / (static_cast<double>(ms) / 1000) / 1e9);
  return 0;
}

int Recv(const char* host, const char* port, double secs) {
  UniqueFd fd = Connect(host, port);
  if (!WriteAll(fd.get(), "R", 1)) Die("write");
  std::vector<char> buf(kChunk);
  uint64_t total = 0;
  auto t0 = Clock::now();
  auto end = t0 + std::chrono::duration<double>(secs);
  while (Clock::now() < end) {
    ssize_t r = RetryEintr([&] { return ::read(fd.get(), buf.data(), buf.size()); });
    if (r <= 0) Die("read");
    total += static_cast<uint64_t>(r);
  }
  double t = Seconds(Clock::now() - t0);
  linger lg{1, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  std::printf("%.3f\n", static_cast<double>(total) * 8 / t / 1e9);
  return 0;
}

int Cps(const char* host, const char* port, double secs) {
  uint64_t n = 0;
  auto t0 = Clock::now();
  auto end = t0 + std::chrono::duration<double>(secs);
  while (Clock::now() < end) {
    UniqueFd fd = Connect(host, port);
    char c = 'C';
    if (!WriteAll(fd.get(), &c, 1)) Die("write");
    if (RetryEintr([&] { return ::read(fd.get(), &c, 1); }) != 1) Die("read");
    ++n;
  }
  std::printf("%.0f\n", static_cast<double>(n) / Seconds(Clock::now() - t0));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "server" && argc == 3) return Server(argv[2]);
  if ((cmd == "send" || cmd == "recv" || cmd == "cps") && argc == 5) {
    double secs = std::atof(argv[4]);
    if (cmd == "send") return Send(argv[2], argv[3], secs);
    if (cmd == "recv") return Recv(argv[2], argv[3], secs);
    return Cps(argv[2], argv[3], secs);
  }
  if (cmd == "offload-off" && argc == 3) {
    krata::Status st = krata::net::rtnl::DisableSegmentationOffload(argv[2]);
    if (!st.has_value()) {
      std::fprintf(stderr, "net-tool: %s\n", st.error().ToString().c_str());
      return 1;
    }
    return 0;
  }
  std::fprintf(stderr,
               "usage: net-tool server PORT | send|recv|cps HOST PORT SECONDS | "
               "offload-off IFNAME\n");
  return 2;
}
