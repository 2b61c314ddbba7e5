#include "net/link/if_ioctl.h"

#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/eintr.h"

namespace krata::net::ifioctl {
namespace {

Result<ifreq> Request(std::string_view ifname) {
  ifreq ifr{};
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
    return Error::Invalid("ifreq", "bad interface name '" + std::string(ifname) + "'");
  }
  std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
  return ifr;
}

Status Ioctl(int sock, unsigned long op, const char* op_name, ifreq* ifr) {
  if (RetryEintr([&] { return ::ioctl(sock, op, ifr); }) < 0) {
    return Error::FromErrno(op_name, errno, ifr->ifr_name);
  }
  return {};
}

}  // namespace

Result<int> Index(int sock, std::string_view ifname) {
  ifreq ifr = TRY(Request(ifname));
  if (RetryEintr([&] { return ::ioctl(sock, SIOCGIFINDEX, &ifr); }) < 0) {
    int err = errno;
    if (err == ENODEV) return Error::Invalid("SIOCGIFINDEX", "no interface " + std::string(ifname));
    return Error::FromErrno("SIOCGIFINDEX", err, std::string(ifname));
  }
  return ifr.ifr_ifindex;
}

Status SetUp(int sock, std::string_view ifname) {
  ifreq ifr = TRY(Request(ifname));
  TRY(Ioctl(sock, SIOCGIFFLAGS, "SIOCGIFFLAGS", &ifr));
  if ((ifr.ifr_flags & IFF_UP) != 0) return {};
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  return Ioctl(sock, SIOCSIFFLAGS, "SIOCSIFFLAGS", &ifr);
}

Status SetMtu(int sock, std::string_view ifname, uint16_t mtu) {
  ifreq ifr = TRY(Request(ifname));
  ifr.ifr_mtu = mtu;
  return Ioctl(sock, SIOCSIFMTU, "SIOCSIFMTU", &ifr);
}

Status SetMac(int sock, std::string_view ifname, const Mac& mac) {
  ifreq ifr = TRY(Request(ifname));
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  std::memcpy(ifr.ifr_hwaddr.sa_data, mac.data(), mac.size());
  return Ioctl(sock, SIOCSIFHWADDR, "SIOCSIFHWADDR", &ifr);
}

}  // namespace krata::net::ifioctl
