#include "net/netlink/rtnl.h"

#include <linux/ethtool.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "base/eintr.h"
#include "base/unique_handle.h"

namespace krata::net::rtnl {
namespace {

constexpr size_t kReplyBufferSize = 8192;

// Copies ifname into a NUL-terminated IFNAMSIZ buffer; names that do not fit are refused.
Status CopyIfName(std::string_view ifname, char (&out)[IFNAMSIZ]) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ || ifname.find('\0') != std::string_view::npos) {
    return Error::Invalid("ifname", "bad interface name '" + std::string(ifname) + "'");
  }
  std::memset(out, 0, IFNAMSIZ);
  std::memcpy(out, ifname.data(), ifname.size());
  return {};
}

// One netlink request: nlmsghdr, a fixed family header, then rtattrs, each NLMSG_ALIGNed
// (linux/netlink.h, linux/rtnetlink.h).
class Request {
 public:
  Request(uint16_t type, uint16_t flags, const void* family_header, size_t family_len) {
    buf_.resize(NLMSG_SPACE(family_len));
    nlmsghdr hdr{};
    hdr.nlmsg_type = type;
    hdr.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
    std::memcpy(buf_.data(), &hdr, sizeof(hdr));
    std::memcpy(buf_.data() + NLMSG_HDRLEN, family_header, family_len);
  }

  void Attr(uint16_t type, const void* data, size_t len) {
    size_t off = buf_.size();
    buf_.resize(off + RTA_SPACE(len));
    rtattr rta{};
    rta.rta_type = type;
    rta.rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    std::memcpy(buf_.data() + off, &rta, sizeof(rta));
    std::memcpy(buf_.data() + off + RTA_LENGTH(0), data, len);
  }
  void AttrU32(uint16_t type, uint32_t v) { Attr(type, &v, sizeof(v)); }

  // Fills in the length and sequence number; returns the bytes to send.
  std::vector<uint8_t>& Finish(uint32_t seq) {
    nlmsghdr hdr;
    std::memcpy(&hdr, buf_.data(), sizeof(hdr));
    hdr.nlmsg_len = static_cast<uint32_t>(buf_.size());
    hdr.nlmsg_seq = seq;
    std::memcpy(buf_.data(), &hdr, sizeof(hdr));
    return buf_;
  }

 private:
  std::vector<uint8_t> buf_;
};

// Sends req on a fresh NETLINK_ROUTE socket and waits for the kernel's NLMSG_ERROR ack.
// Returns the negated error code as an errno Error, or success for error 0.
Status Transact(Request& req, std::string_view op, const std::string& context) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) return Error::FromErrno("socket(NETLINK_ROUTE)", errno, context);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    return Error::FromErrno("bind(netlink)", errno, context);
  }
  constexpr uint32_t kSeq = 1;
  std::vector<uint8_t>& msg = req.Finish(kSeq);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent = RetryEintr([&] {
    return sendto(fd.get(), msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
                  sizeof(kernel));
  });
  if (sent < 0) return Error::FromErrno(op, errno, context);
  if (static_cast<size_t>(sent) != msg.size()) {
    return Error::Invalid(op, "short netlink send").With(context);
  }

  std::vector<uint8_t> reply(kReplyBufferSize);
  for (;;) {
    ssize_t n = RetryEintr([&] { return recv(fd.get(), reply.data(), reply.size(), 0); });
    if (n < 0) return Error::FromErrno(op, errno, context);
    auto len = static_cast<size_t>(n);
    size_t off = 0;
    // The kernel is trusted here, but walk the buffer with explicit bounds anyway.
    while (len - off >= sizeof(nlmsghdr)) {
      nlmsghdr hdr;
      std::memcpy(&hdr, reply.data() + off, sizeof(hdr));
      if (hdr.nlmsg_len < sizeof(nlmsghdr) || hdr.nlmsg_len > len - off) {
        return Error::Invalid(op, "malformed netlink reply").With(context);
      }
      if (hdr.nlmsg_seq == kSeq && hdr.nlmsg_type == NLMSG_ERROR) {
        if (hdr.nlmsg_len < NLMSG_LENGTH(sizeof(int))) {
          return Error::Invalid(op, "short netlink ack").With(context);
        }
        int code;
        std::memcpy(&code, reply.data() + off + NLMSG_HDRLEN, sizeof(code));
        if (code == 0) return {};
        return Error::FromErrno(op, -code, context);
      }
      off += NLMSG_ALIGN(hdr.nlmsg_len);
      if (off > len) break;
    }
  }
}

// Same as Transact, but EEXIST (the address or route is already there) counts as success.
Status TransactCreate(Request& req, std::string_view op, const std::string& context) {
  Status s = Transact(req, op, context);
  if (!s.has_value() && s.error().errno_value() == EEXIST) return {};
  return s;
}

int Family(const IpAddr& a) { return a.v6 ? AF_INET6 : AF_INET; }

}  // namespace

Result<int> LinkIndex(std::string_view ifname) {
  ifreq ifr{};
  TRY(CopyIfName(ifname, ifr.ifr_name));
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return Error::FromErrno("socket(AF_INET)", errno);
  if (RetryEintr([&] { return ioctl(fd.get(), SIOCGIFINDEX, &ifr); }) != 0) {
    int err = errno;
    std::string what = err == ENODEV ? "no interface " + std::string(ifname) : std::string(ifname);
    return Error::FromErrno("SIOCGIFINDEX", err, what);
  }
  return ifr.ifr_ifindex;
}

Status WaitForLink(std::string_view ifname, std::chrono::milliseconds timeout) {
  // Subscribe before the first check, so a link created in between is not missed.
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE));
  if (!fd) return Error::FromErrno("socket(NETLINK_ROUTE)", errno, std::string(ifname));
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    return Error::FromErrno("bind(RTMGRP_LINK)", errno, std::string(ifname));
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<uint8_t> drain(kReplyBufferSize);
  for (;;) {
    Result<int> index = LinkIndex(ifname);
    if (index.has_value()) return {};
    if (index.error().errno_value() != ENODEV) return std::move(index.error());
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Error::FromErrno("wait for link", ETIMEDOUT, std::string(ifname));
    }
    pollfd pfd{fd.get(), POLLIN, 0};
    int rc = poll(&pfd, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno != EINTR) return Error::FromErrno("poll", errno, "netlink");
    // The notifications' content does not matter (ENOBUFS on overflow neither): any of them
    // means "look again".
    while (recv(fd.get(), drain.data(), drain.size(), 0) > 0) {
    }
  }
}

Status SetLinkUp(std::string_view ifname, std::optional<uint16_t> mtu, std::optional<Mac> mac) {
  int index = TRY(LinkIndex(ifname));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  Request req(RTM_NEWLINK, 0, &ifi, sizeof(ifi));
  if (mtu) req.AttrU32(IFLA_MTU, *mtu);
  if (mac) req.Attr(IFLA_ADDRESS, mac->data(), mac->size());
  return Transact(req, "RTM_NEWLINK", std::string(ifname));
}

Status AddAddress(std::string_view ifname, const IpAddr& addr, uint8_t prefix) {
  if (prefix > addr.size() * 8) {
    return Error::Invalid("RTM_NEWADDR", "prefix /" + std::to_string(prefix) + " too long")
        .With(ifname);
  }
  int index = TRY(LinkIndex(ifname));
  ifaddrmsg ifa{};
  ifa.ifa_family = static_cast<uint8_t>(Family(addr));
  ifa.ifa_prefixlen = prefix;
  // Without NODAD an IPv6 address stays "tentative" (unusable as a source) for about a
  // second while duplicate address detection runs; our links have no other hosts.
  ifa.ifa_flags = addr.v6 ? IFA_F_NODAD : 0;
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = static_cast<uint32_t>(index);
  Request req(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
  req.Attr(IFA_LOCAL, addr.b.data(), addr.size());
  req.Attr(IFA_ADDRESS, addr.b.data(), addr.size());
  return TransactCreate(req, "RTM_NEWADDR", std::string(ifname));
}

Status AddDefaultRoute(std::string_view ifname, const IpAddr& gateway) {
  int index = TRY(LinkIndex(ifname));
  rtmsg rtm{};
  rtm.rtm_family = static_cast<uint8_t>(Family(gateway));
  rtm.rtm_dst_len = 0;
  rtm.rtm_table = RT_TABLE_MAIN;
  rtm.rtm_protocol = RTPROT_BOOT;
  rtm.rtm_scope = RT_SCOPE_UNIVERSE;
  rtm.rtm_type = RTN_UNICAST;
  Request req(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rtm, sizeof(rtm));
  req.Attr(RTA_GATEWAY, gateway.b.data(), gateway.size());
  req.AttrU32(RTA_OIF, static_cast<uint32_t>(index));
  return TransactCreate(req, "RTM_NEWROUTE", std::string(ifname));
}

Status DisableSegmentationOffload(std::string_view ifname) {
  ifreq ifr{};
  TRY(CopyIfName(ifname, ifr.ifr_name));
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return Error::FromErrno("socket(AF_INET)", errno);
  struct Setting {
    uint32_t cmd;
    std::string_view op;
  };
  // The legacy one-feature commands (linux/ethtool.h) work on every driver: the core maps
  // them onto netdev features, and drivers without the feature say EOPNOTSUPP.
  static constexpr Setting kSettings[] = {{ETHTOOL_STSO, "ETHTOOL_STSO"},
                                          {ETHTOOL_SGSO, "ETHTOOL_SGSO"},
                                          {ETHTOOL_SGRO, "ETHTOOL_SGRO"}};
  for (const Setting& s : kSettings) {
    ethtool_value value{};
    value.cmd = s.cmd;
    value.data = 0;
    ifr.ifr_data = reinterpret_cast<char*>(&value);
    if (RetryEintr([&] { return ioctl(fd.get(), SIOCETHTOOL, &ifr); }) != 0) {
      int err = errno;
      if (err == EOPNOTSUPP) continue;
      return Error::FromErrno(s.op, err, std::string(ifname));
    }
  }
  return {};
}

}  // namespace krata::net::rtnl
