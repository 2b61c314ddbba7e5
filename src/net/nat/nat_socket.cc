#include "net/nat/nat_socket.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "base/eintr.h"

namespace krata::net {

Result<UniqueFd> OpenSocket(int family, int type, int protocol) {
  int raw = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (raw < 0) return Error::FromErrno("socket", errno);
  return UniqueFd(raw);
}

Status Connect(int fd, const Endpoint& to) {
  sockaddr_storage sa{};
  socklen_t len = ToSockaddr(to, &sa);
  // Connecting a datagram socket only sets the peer: it never blocks or returns EINPROGRESS.
  int rc = RetryEintr([&] { return ::connect(fd, reinterpret_cast<sockaddr*>(&sa), len); });
  if (rc != 0) return Error::FromErrno("connect", errno, ToString(to));
  return {};
}

Result<UniqueFd> ConnectedUdp(const Endpoint& to) {
  UniqueFd fd = TRY(OpenSocket(Family(to.ip), SOCK_DGRAM, IPPROTO_UDP));
  TRY(Connect(fd.get(), to));
  return fd;
}

Result<UniqueFd> BoundUdp(bool v6, uint16_t port) {
  UniqueFd fd = TRY(OpenSocket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, IPPROTO_UDP));
  int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    return Error::FromErrno("setsockopt(SO_REUSEADDR)", errno);
  }
  if (v6 && ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
    return Error::FromErrno("setsockopt(IPV6_V6ONLY)", errno);
  }
  Endpoint any{.ip = v6 ? IpAddr{.v6 = true} : IpAddr{}, .port = port};
  sockaddr_storage sa{};
  socklen_t len = ToSockaddr(any, &sa);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0) {
    return Error::FromErrno("bind", errno, ToString(any));
  }
  return fd;
}

L2Addrs ZoneL2(const ZonePort& port) {
  return L2Addrs{.src = port.gateway().mac, .dst = port.zone().mac};
}

namespace {
constexpr size_t kIpv4Header = 20, kIpv6Header = 40, kL4Header = 8;  // UDP and ICMP echo

size_t MaxL4Data(const ZonePort& port, bool v6) {
  size_t overhead = (v6 ? kIpv6Header : kIpv4Header) + kL4Header;
  size_t mtu = port.gateway().mtu;
  return mtu > overhead ? mtu - overhead : 0;
}
}  // namespace

size_t MaxUdpPayload(const ZonePort& port, bool v6) { return MaxL4Data(port, v6); }
size_t MaxEchoData(const ZonePort& port, bool v6) { return MaxL4Data(port, v6); }

std::optional<Unreachable> UnreachableFromErrno(int err) {
  switch (err) {
    case ECONNREFUSED:
      return Unreachable::kPort;
    case EHOSTUNREACH:
    case EHOSTDOWN:
      return Unreachable::kHost;
    case ENETUNREACH:
    case ENETDOWN:
      return Unreachable::kNet;
    case EACCES:
    case EPERM:
      return Unreachable::kAdmin;
    default:
      return std::nullopt;
  }
}

bool SendUnreachable(ZonePort& port, const IpAddr& from, const IpAddr& to, Unreachable why,
                     ByteSpan offending_ip) {
  // Destination unreachable: ICMP type 3 (RFC 792; code 13 from RFC 1812), ICMPv6 type 1
  // (RFC 4443 section 3.1).
  uint8_t type = 0, code = 0;
  if (!to.v6) {
    type = 3;
    switch (why) {
      case Unreachable::kNet:
        code = 0;
        break;
      case Unreachable::kHost:
        code = 1;
        break;
      case Unreachable::kPort:
        code = 3;
        break;
      case Unreachable::kAdmin:
        code = 13;
        break;
    }
  } else {
    type = 1;
    switch (why) {
      case Unreachable::kNet:
        code = 0;
        break;
      case Unreachable::kAdmin:
        code = 1;
        break;
      case Unreachable::kHost:
        code = 3;
        break;
      case Unreachable::kPort:
        code = 4;
        break;
    }
  }
  // Quote no more than an error may carry: 576 bytes in all for IPv4 (RFC 1812 4.3.2.3),
  // 1280 for IPv6 (RFC 4443 2.4(c)); either fits every zone MTU (>= 1280 for IPv6).
  size_t max_quote = to.v6 ? 1280 - kIpv6Header - kL4Header : 576 - kIpv4Header - kL4Header;
  offending_ip = offending_ip.first(std::min(offending_ip.size(), max_quote));
  std::array<uint8_t, kEthHeaderBytes + 1280> buf{};
  size_t n = BuildIcmpError(buf, ZoneL2(port), from, to, type, code, offending_ip);
  if (n == 0) return false;
  return port.SendToZone(AsByteSpan(buf.data(), n));
}

}  // namespace krata::net
