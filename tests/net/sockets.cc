#include "tests/net/sockets.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

#include "base/eintr.h"
#include "base/file.h"
#include "tests/net/netns.h"

namespace krata::net::testing {
namespace {

Result<UniqueFd> Bound(const std::string& ns, const Endpoint& ep, int type) {
  UniqueFd fd = TRY(SocketIn(ns, ep.ip.v6 ? AF_INET6 : AF_INET, type));
  int one = 1;
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (ep.ip.v6) (void)::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  sockaddr_storage ss{};
  socklen_t len = ToSockaddr(ep, &ss);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    return Error::FromErrno("bind", errno, ToString(ep));
  }
  TRY(SetTimeouts(fd.get()));
  return fd;
}

Result<UniqueFd> Connected(const std::string& ns, const Endpoint& ep, int type) {
  UniqueFd fd = TRY(SocketIn(ns, ep.ip.v6 ? AF_INET6 : AF_INET, type));
  TRY(SetTimeouts(fd.get()));
  sockaddr_storage ss{};
  socklen_t len = ToSockaddr(ep, &ss);
  if (RetryEintr([&] { return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len); }) != 0) {
    return Error::FromErrno("connect", errno, ToString(ep));
  }
  return fd;
}

Result<UniqueFd> MakeEventFd() {
  int fd = ::eventfd(0, EFD_CLOEXEC);
  if (fd < 0) return Error::FromErrno("eventfd", errno);
  return UniqueFd(fd);
}

void Signal(int efd) {
  uint64_t one = 1;
  (void)!::write(efd, &one, sizeof(one));
}

}  // namespace

Status SetTimeouts(int fd, int seconds) {
  timeval tv{.tv_sec = seconds, .tv_usec = 0};
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
    return Error::FromErrno("setsockopt(SO_*TIMEO)", errno);
  }
  return {};
}

Result<UniqueFd> ListenTcp(const std::string& ns, const Endpoint& ep) {
  UniqueFd fd = TRY(Bound(ns, ep, SOCK_STREAM));
  if (::listen(fd.get(), 512) != 0) return Error::FromErrno("listen", errno, ToString(ep));
  return fd;
}

Result<UniqueFd> BindUdp(const std::string& ns, const Endpoint& ep) {
  return Bound(ns, ep, SOCK_DGRAM);
}

Result<UniqueFd> ConnectTcp(const std::string& ns, const Endpoint& ep) {
  return Connected(ns, ep, SOCK_STREAM);
}

Result<UniqueFd> ConnectUdp(const std::string& ns, const Endpoint& ep) {
  return Connected(ns, ep, SOCK_DGRAM);
}

Result<std::string> ReadToEof(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = RetryEintr([&] { return ::recv(fd, buf, sizeof(buf), 0); });
    if (n < 0) return Error::FromErrno("recv", errno);
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

TcpServer::TcpServer(UniqueFd listener, Handler handler)
    : listener_(std::move(listener)), stop_(MUST(MakeEventFd())), handler_(std::move(handler)) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    Result<Endpoint> ep = FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    if (ep.has_value()) port_ = ep->port;
  }
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

void TcpServer::AcceptLoop() {
  for (;;) {
    pollfd p[2] = {{listener_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    if (RetryEintr([&] { return ::poll(p, 2, -1); }) < 0) return;
    if (p[1].revents != 0) return;
    int c = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    (void)SetTimeouts(c);
    ++accepted_;
    std::lock_guard lock(mu_);
    live_.push_back(c);
    workers_.emplace_back([this, c] { handler_(UniqueFd(c)); });
  }
}

TcpServer::~TcpServer() {
  Signal(stop_.get());
  acceptor_.join();
  {
    // Handlers own their fds; shutting them down (not closing) unblocks them safely. A handler
    // that already closed its fd leaves a stale number here: shutdown on a reused fd is
    // harmless in these tests (all sockets are test sockets).
    std::lock_guard lock(mu_);
    for (int fd : live_) ::shutdown(fd, SHUT_RDWR);
  }
  for (std::thread& t : workers_) t.join();
}

void EchoHandler(UniqueFd conn) {
  char buf[65536];
  for (;;) {
    ssize_t n = RetryEintr([&] { return ::recv(conn.get(), buf, sizeof(buf), 0); });
    if (n <= 0) break;
    if (!SendAll(conn.get(), std::string_view(buf, static_cast<size_t>(n))).has_value()) return;
  }
  ::shutdown(conn.get(), SHUT_WR);
  // Wait for the peer's close so our FIN is not turned into an RST by unread data.
  (void)RetryEintr([&] { return ::recv(conn.get(), buf, sizeof(buf), 0); });
}

UdpEchoServer::UdpEchoServer(UniqueFd sock) : sock_(std::move(sock)), stop_(MUST(MakeEventFd())) {
  thread_ = std::thread([this] {
    char buf[65536];
    for (;;) {
      pollfd p[2] = {{sock_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
      if (RetryEintr([&] { return ::poll(p, 2, -1); }) < 0) return;
      if (p[1].revents != 0) return;
      sockaddr_storage from{};
      socklen_t len = sizeof(from);
      ssize_t n = ::recvfrom(sock_.get(), buf, sizeof(buf), MSG_DONTWAIT,
                             reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) continue;
      (void)::sendto(sock_.get(), buf, static_cast<size_t>(n), 0,
                     reinterpret_cast<sockaddr*>(&from), len);
    }
  });
}

UdpEchoServer::~UdpEchoServer() {
  Signal(stop_.get());
  thread_.join();
}

}  // namespace krata::net::testing
