#pragma once
// The few rtnetlink (RFC 3549; linux/rtnetlink.h, linux/if_addr.h) and ethtool operations
// krata needs: krata-zone configures eth0 in the guest, kratanet brings links up and gives
// the host's TAP its addresses. Small and dependency-free so the static krata-zone links it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.h"
#include "net/packet/addr.h"

namespace krata::net::rtnl {

// ENODEV, "no interface NAME", when the link does not exist.
Result<int> LinkIndex(std::string_view ifname);
// Returns once the link exists, woken by RTM_NEWLINK notifications (RTMGRP_LINK; sysfs
// gives no inotify events), e.g. eth0 appearing after xen-netfront's asynchronous probe.
// ETIMEDOUT after timeout.
Status WaitForLink(std::string_view ifname, std::chrono::milliseconds timeout);
// Sets IFF_UP, and the MTU / MAC when given.
Status SetLinkUp(std::string_view ifname, std::optional<uint16_t> mtu = std::nullopt,
                 std::optional<Mac> mac = std::nullopt);
// Adds address/prefix to the link (EEXIST is success). IPv6 addresses are added with
// IFA_F_NODAD so they are usable at once.
Status AddAddress(std::string_view ifname, const IpAddr& addr, uint8_t prefix);
// Adds a default route (0.0.0.0/0 or ::/0) via gateway on the link (EEXIST is success).
Status AddDefaultRoute(std::string_view ifname, const IpAddr& gateway);
// Turns off TSO, GSO and GRO (SIOCETHTOOL) so every frame fits the MTU: kratanet reads
// frames one by one from an AF_PACKET socket.
Status DisableSegmentationOffload(std::string_view ifname);

}  // namespace krata::net::rtnl
