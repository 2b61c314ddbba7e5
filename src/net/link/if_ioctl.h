#pragma once
// The classic interface ioctls (netdevice(7)) the links need: index lookup, flags, MTU and
// MAC. Kept to ioctls so the link library does not depend on rtnetlink.

#include <cstdint>
#include <string_view>

#include "base/result.h"
#include "net/packet/addr.h"

namespace krata::net::ifioctl {

// `sock` is any socket in the interface's network namespace.
Result<int> Index(int sock, std::string_view ifname);  // "no interface NAME" if absent
Status SetUp(int sock, std::string_view ifname);
Status SetMtu(int sock, std::string_view ifname, uint16_t mtu);
Status SetMac(int sock, std::string_view ifname, const Mac& mac);

}  // namespace krata::net::ifioctl
