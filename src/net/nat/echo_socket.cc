#include "net/nat/echo_socket.h"

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "base/eintr.h"
#include "net/nat/echo_reply.h"
#include "net/nat/nat_socket.h"

namespace krata::net {

namespace {
// linux/icmp.h (not included: it drags in linux/if.h and linux/in6.h, which clash with the
// libc headers): the raw IPv4 ICMP filter, a bit per type that is BLOCKED.
constexpr int kIcmpFilter = 1;  // ICMP_FILTER, at level SOL_RAW
struct IcmpFilter {
  uint32_t data;
};
constexpr uint8_t kIcmpEchoReplyType = 0;

Status FilterEchoReplies(int fd, bool v6) {
  if (v6) {
    icmp6_filter filter{};
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
    if (::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) != 0) {
      return Error::FromErrno("setsockopt(ICMP6_FILTER)", errno);
    }
    return {};
  }
  IcmpFilter filter{.data = ~(1u << kIcmpEchoReplyType)};
  if (::setsockopt(fd, SOL_RAW, kIcmpFilter, &filter, sizeof filter) != 0) {
    return Error::FromErrno("setsockopt(ICMP_FILTER)", errno);
  }
  return {};
}
}  // namespace

bool PingSocketsAllowed() {
  Result<UniqueFd> fd = OpenSocket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  return fd.has_value();
}

Result<UniqueFd> OpenEchoSocket(const IpAddr& dst, bool ping) {
  int protocol = dst.v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
  UniqueFd fd = TRY(OpenSocket(Family(dst), ping ? SOCK_DGRAM : SOCK_RAW, protocol));
  if (!ping) TRY(FilterEchoReplies(fd.get(), dst.v6));
  TRY(Connect(fd.get(), Endpoint{.ip = dst, .port = 0}));
  return fd;
}

Status SendEchoRequest(int fd, bool v6, uint16_t id, uint16_t seq, ByteSpan data) {
  std::vector<uint8_t> msg(8 + data.size());
  size_t len = WriteEchoRequest(msg, v6, id, seq, data);
  if (len == 0) return Error::Invalid("send", "echo request too large");
  ssize_t n = RetryEintr([&] { return ::send(fd, msg.data(), len, MSG_DONTWAIT); });
  if (n < 0) return Error::FromErrno("send", errno, "echo request");
  return {};
}

}  // namespace krata::net
