#include "daemon/zone_network.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>

namespace krata::daemon {
namespace {

using u128 = unsigned __int128;

// Number of addresses in the subnet, capped at 2^64 (more is never needed: zones are few).
u128 SubnetSize(const net::Subnet& s) {
  unsigned host_bits = static_cast<unsigned>(s.base.size() * 8) - s.prefix;
  return host_bits >= 64 ? (u128{1} << 64) : (u128{1} << host_bits);
}

Result<net::Subnet> FamilySubnet(std::string_view text, bool v6, std::string_view flag) {
  Result<net::Subnet> s = net::ParseSubnet(text);
  if (!s.has_value()) return std::move(s.error()).With(flag);
  if (s->base.v6 != v6) {
    return Error::FromErrno("zone network", EINVAL,
                            std::string(flag) + " " + std::string(text) + ": wrong family");
  }
  // Base, gateway, host, one zone and (IPv4) the broadcast address: at least 8 addresses.
  unsigned max_prefix = v6 ? 125 : 29;
  if (s->prefix > max_prefix) {
    return Error::FromErrno("zone network", EINVAL,
                            std::string(flag) + " " + std::string(text) + ": longer than /" +
                                std::to_string(max_prefix) + " leaves no room for zones");
  }
  return *s;
}

}  // namespace

net::IpAddr SubnetAddress(const net::Subnet& subnet, u128 offset) {
  net::IpAddr ip = subnet.base;
  // Add offset to the big-endian address, from the last byte up.
  u128 carry = offset;
  for (size_t i = ip.size(); i-- > 0 && carry != 0;) {
    u128 sum = ip.b[i] + (carry & 0xff);
    ip.b[i] = static_cast<uint8_t>(sum);
    carry = (carry >> 8) + (sum >> 8);
  }
  return ip;
}

Result<HostNetwork> PlanHostNetwork(const NetworkOptions& options) {
  HostNetwork n;
  n.ipv4 = TRY(FamilySubnet(options.ipv4_subnet, false, "--ipv4-subnet"));
  n.ipv6 = TRY(FamilySubnet(options.ipv6_subnet, true, "--ipv6-subnet"));
  if (options.mtu < 1280 || options.mtu > 65535) {
    return Error::FromErrno("zone network", EINVAL, "MTU outside 1280..65535");
  }
  n.gateway4 = SubnetAddress(n.ipv4, 1);
  n.gateway6 = SubnetAddress(n.ipv6, 1);
  n.host4 = SubnetAddress(n.ipv4, 2);
  n.host6 = SubnetAddress(n.ipv6, 2);
  n.mtu = options.mtu;
  return n;
}

Result<net::IpAddr> LowestFreeAddress(const net::Subnet& subnet,
                                      const std::set<net::IpAddr>& used) {
  const u128 last = SubnetSize(subnet) - 1;
  // At most used.size() candidates are taken, so this loop is short.
  for (u128 offset = 3; offset < last; ++offset) {
    net::IpAddr ip = SubnetAddress(subnet, offset);
    if (!used.contains(ip)) return ip;
  }
  return Error::FromErrno("reserve zone address", ENOSPC,
                          "no free address left in " + net::ToString(subnet) +
                              " (destroy a zone, or give kratad a larger subnet)");
}

net::Mac RandomMac(const std::set<net::Mac>& used, const RandomFn& random_bytes) {
  for (;;) {
    net::Mac m{};
    random_bytes(m.data(), m.size());
    // IEEE 802: bit 0 of the first octet = group, bit 1 = locally administered. 02 exactly,
    // so krata's MACs are easy to spot; 40 random bits stay.
    m[0] = 0x02;
    if (!used.contains(m)) return m;
  }
}

void KernelRandom(uint8_t* out, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::getrandom(out + got, len - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) std::abort();  // cannot fail for small requests once the pool is ready
    got += static_cast<size_t>(n);
  }
}

std::string CidrText(const net::IpAddr& ip, const net::Subnet& subnet) {
  return net::ToString(ip) + "/" + std::to_string(subnet.prefix);
}

}  // namespace krata::daemon
