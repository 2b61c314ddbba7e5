// krata-nettool: the small TCP/UDP echo servers and clients the network lab scenario runs on
// both sides of kratanet (tests/e2e/net.sh). Busybox has nc and ping but no UDP client or
// server, and nothing that checks a byte stream end to end. Static, so it runs in dom0 and
// inside the sample image alike.
//
//   krata-nettool tcp-echo PORT              echo every connection (IPv4 and IPv6 wildcard)
//   krata-nettool udp-echo PORT              echo every datagram
//   krata-nettool tcp-send HOST PORT TEXT    send TEXT, half-close, print what comes back
//   krata-nettool udp-send HOST PORT TEXT    send TEXT, print the reply (3 tries, 2 s each)
//   krata-nettool tcp-bulk HOST PORT BYTES   stream BYTES to an echo server, check the echo
//
// Clients exit 1 with the error on stderr ("Connection refused", "timed out").

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "krata-nettool: %s\n", what.c_str());
  std::exit(1);
}

[[noreturn]] void DieErrno(const std::string& what) { Die(what + ": " + std::strerror(errno)); }

uint16_t ParsePort(const char* s) {
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < 1 || v > 65535) Die(std::string("bad port ") + s);
  return static_cast<uint16_t>(v);
}

// sockaddr for a numeric address (inet_pton, not getaddrinfo: no NSS in a static binary).
socklen_t MakeAddr(const char* host, uint16_t port, sockaddr_storage* ss) {
  *ss = {};
  auto* sin = reinterpret_cast<sockaddr_in*>(ss);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    return sizeof(*sin);
  }
  if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    return sizeof(*sin6);
  }
  Die(std::string("not a numeric address: ") + host);
}

// Listening/bound sockets on 0.0.0.0:port and [::]:port (v6-only, so both can bind).
std::vector<int> Bind(int type, uint16_t port) {
  std::vector<int> fds;
  for (const char* any : {"0.0.0.0", "::"}) {
    sockaddr_storage ss;
    socklen_t len = MakeAddr(any, port, &ss);
    int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;  // no IPv6 in this kernel
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (type == SOCK_DGRAM) {
      if (ss.ss_family == AF_INET) setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
      if (ss.ss_family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
      }
    }
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      DieErrno("bind port " + std::to_string(port));
    }
    if (type == SOCK_STREAM && listen(fd, 128) != 0) DieErrno("listen");
    fds.push_back(fd);
  }
  if (fds.empty()) DieErrno("socket");
  return fds;
}

void EchoConnection(int fd) {
  char buf[65536];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(fd, buf + off, static_cast<size_t>(n - off));
      if (w <= 0) {
        close(fd);
        return;
      }
      off += w;
    }
  }
  shutdown(fd, SHUT_WR);
  close(fd);
}

// Echoes one datagram from the address it was sent to (IP_PKTINFO/IPV6_PKTINFO), as real
// servers on a wildcard address do: a client connected to 127.0.0.53 only accepts replies
// from 127.0.0.53, not from the 127.0.0.1 routing would pick.
void EchoDatagram(int fd, char* buf, size_t size) {
  sockaddr_storage peer{};
  iovec iov{buf, size};
  alignas(cmsghdr) char control[256];
  msghdr msg{};
  msg.msg_name = &peer;
  msg.msg_namelen = sizeof(peer);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n = recvmsg(fd, &msg, 0);
  if (n < 0) return;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      auto* pi = reinterpret_cast<in_pktinfo*>(CMSG_DATA(c));
      pi->ipi_spec_dst = pi->ipi_addr;
      pi->ipi_ifindex = 0;
    }
  }
  iov.iov_len = static_cast<size_t>(n);
  sendmsg(fd, &msg, 0);
}

int Serve(int type, uint16_t port) {
  std::vector<int> fds = Bind(type, port);
  std::printf("listening on port %u\n", port);
  std::fflush(stdout);
  std::vector<pollfd> pfds;
  for (int fd : fds) pfds.push_back({fd, POLLIN, 0});
  char buf[65536];
  while (true) {
    if (poll(pfds.data(), pfds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      DieErrno("poll");
    }
    for (pollfd& p : pfds) {
      if (!(p.revents & POLLIN)) continue;
      if (type == SOCK_STREAM) {
        int c = accept4(p.fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) std::thread(EchoConnection, c).detach();
      } else {
        EchoDatagram(p.fd, buf, sizeof(buf));
      }
    }
  }
}

int Connect(int type, const char* host, uint16_t port) {
  sockaddr_storage ss;
  socklen_t len = MakeAddr(host, port, &ss);
  int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) DieErrno("socket");
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    DieErrno(std::string("connect ") + host + " port " + std::to_string(port));
  }
  return fd;
}

int TcpSend(const char* host, uint16_t port, const std::string& text) {
  int fd = Connect(SOCK_STREAM, host, port);
  if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) DieErrno("write");
  shutdown(fd, SHUT_WR);
  std::string reply;
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) DieErrno("read");
    if (n == 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  std::printf("%s\n", reply.c_str());
  return 0;
}

int UdpSend(const char* host, uint16_t port, const std::string& text) {
  int fd = Connect(SOCK_DGRAM, host, port);
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[65536];
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (send(fd, text.data(), text.size(), 0) < 0) DieErrno("send");
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n >= 0) {
      std::printf("%.*s\n", static_cast<int>(n), buf);
      return 0;
    }
    if (errno != EAGAIN) DieErrno("recv");  // EAGAIN: SO_RCVTIMEO expired
  }
  Die("udp: no reply (timed out)");
}

// Streams a deterministic pattern and checks the echo byte for byte, reading and writing at
// once so neither side's buffers fill up.
int TcpBulk(const char* host, uint16_t port, uint64_t bytes) {
  int fd = Connect(SOCK_STREAM, host, port);
  auto pattern = [](uint64_t i) { return static_cast<char>((i * 2654435761u) >> 13); };
  uint64_t sent = 0, received = 0;
  static char out[65536], in[65536];
  auto start = std::chrono::steady_clock::now();
  while (received < bytes) {
    pollfd p{fd, static_cast<short>(POLLIN | (sent < bytes ? POLLOUT : 0)), 0};
    int r = poll(&p, 1, 10000);
    if (r == 0) Die("tcp-bulk: stalled for 10 s at " + std::to_string(received) + " bytes");
    if (r < 0) DieErrno("poll");
    if ((p.revents & POLLOUT) && sent < bytes) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof(out), bytes - sent));
      for (size_t i = 0; i < n; ++i) out[i] = pattern(sent + i);
      ssize_t w = send(fd, out, n, MSG_DONTWAIT);
      if (w < 0 && errno != EAGAIN) DieErrno("send");
      if (w > 0) sent += static_cast<uint64_t>(w);
      if (sent == bytes) shutdown(fd, SHUT_WR);
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = recv(fd, in, sizeof(in), MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN) DieErrno("recv");
      if (n == 0) Die("tcp-bulk: connection closed at " + std::to_string(received) + " bytes");
      for (ssize_t i = 0; i < n; ++i) {
        if (in[i] != pattern(received + static_cast<uint64_t>(i))) {
          Die("tcp-bulk: corrupt byte at offset " + std::to_string(received + i));
        }
      }
      if (n > 0) received += static_cast<uint64_t>(n);
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("ok %llu bytes echoed intact in %.2f s (%.1f Mbit/s each way)\n",
              static_cast<unsigned long long>(bytes), secs,
              static_cast<double>(bytes) * 8 / secs / 1e6);
  return 0;
}

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: krata-nettool tcp-echo PORT | udp-echo PORT |\n"
               "       tcp-send HOST PORT TEXT | udp-send HOST PORT TEXT |\n"
               "       tcp-bulk HOST PORT BYTES\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) Usage();
  std::string cmd = argv[1];
  if (cmd == "tcp-echo" && argc == 3) return Serve(SOCK_STREAM, ParsePort(argv[2]));
  if (cmd == "udp-echo" && argc == 3) return Serve(SOCK_DGRAM, ParsePort(argv[2]));
  if (argc != 5) Usage();
  uint16_t port = ParsePort(argv[3]);
  if (cmd == "tcp-send") return TcpSend(argv[2], port, argv[4]);
  if (cmd == "udp-send") return UdpSend(argv[2], port, argv[4]);
  if (cmd == "tcp-bulk") {
    char* end = nullptr;
    unsigned long long n = std::strtoull(argv[4], &end, 10);
    if (*end != '\0' || n == 0) Die(std::string("bad byte count ") + argv[4]);
    return TcpBulk(argv[2], port, n);
  }
  Usage();
}
