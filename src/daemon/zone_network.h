#pragma once
// The zone network's addressing, decided by kratad (docs/NETWORKING.md): one IPv4 and one
// IPv6 subnet; the first host address of each is the gateway kratanet answers as, the second
// the host's own address on that network; every zone gets the lowest free addresses after
// those and a random MAC, reserved at CreateZone and freed with the zone's row. The gateway's
// and host's MACs are random too, made once and kept in the store.
//
// Pure functions here; ZoneManager does the reserving under its lock, ZoneStore the keeping.

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "base/result.h"
#include "net/packet/addr.h"

namespace krata::daemon {

struct NetworkOptions {
  std::string ipv4_subnet = "10.75.0.0/16";
  std::string ipv6_subnet = "fdd4:1476:6c7e::/48";
  uint32_t mtu = 1500;  // the zones' eth0
};

struct HostNetwork {
  net::Subnet ipv4;
  net::Subnet ipv6;
  net::IpAddr gateway4, gateway6;  // base + 1
  net::IpAddr host4, host6;        // base + 2
  net::Mac gateway_mac{};
  net::Mac host_mac{};
  uint32_t mtu = 1500;
};

// Checks the subnets (the right family, host bits zero, room for at least one zone) and
// places the gateway and host addresses. The MACs are left for the caller.
Result<HostNetwork> PlanHostNetwork(const NetworkOptions& options);

// The address `offset` after the subnet's base (offset within the subnet's size).
net::IpAddr SubnetAddress(const net::Subnet& subnet, unsigned __int128 offset);

// The lowest address of the subnet after base + 2 that is not in `used` and is not the
// subnet's last address (IPv4's broadcast; kept free in IPv6 too). ENOSPC when none is left.
Result<net::IpAddr> LowestFreeAddress(const net::Subnet& subnet, const std::set<net::IpAddr>& used);

// A random locally administered unicast MAC ("02:" and 40 random bits) not in `used`.
// `random_bytes` fills the buffer (getrandom in kratad; a fixed sequence in tests).
using RandomFn = std::function<void(uint8_t* out, size_t len)>;
net::Mac RandomMac(const std::set<net::Mac>& used, const RandomFn& random_bytes);
void KernelRandom(uint8_t* out, size_t len);  // getrandom(2)

// "10.75.0.3/16": the zone's address with its subnet's prefix.
std::string CidrText(const net::IpAddr& ip, const net::Subnet& subnet);

}  // namespace krata::daemon
