#pragma once
// The zone's network: lo, and eth0 (xen-netfront on the vif the host made) as the launch
// config says. System side, proven in the lab; the netlink calls are tested in
// src/net/netlink and the config's checks in config/.

#include <chrono>

#include "base/result.h"
#include "zone/config/launch_config.h"

namespace krata::zone {

// Brings lo up. Every zone gets it, with or without a network.
Status SetupLoopback();

// Lets every user of the zone open ICMP echo ("ping") sockets: net.ipv4.ping_group_range.
Status AllowUnprivilegedPing();

// Waits (at most wait) for eth0, brings it up with the MTU, turns off segmentation
// offloads (kratanet reads frames one by one), adds the addresses and the default routes
// via the gateways. Does every step it can and returns the first failure.
Status SetupNetwork(const NetworkConfig& network, std::chrono::milliseconds wait);

}  // namespace krata::zone
