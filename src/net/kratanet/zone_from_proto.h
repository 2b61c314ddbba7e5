#pragma once
// kratad's messages (proto/krata/v1/) -> kratanet's configuration: the zone network from
// GetHostStatus, and the zones to attach from Zone messages.

#include <optional>

#include "base/result.h"
#include "krata/v1/common.pb.h"
#include "krata/v1/control.pb.h"
#include "net/kratanet/desired_zone.h"

namespace krata::net::kratanet {

// nullopt when the zone should not be attached: not CREATED, no domid yet, or no network
// status. An error when it is CREATED but its network status or ports are malformed.
Result<std::optional<DesiredZone>> DesiredFromProto(const v1::common::Zone& zone);

struct ZoneNetwork {
  GatewayConfig gateway;            // dns_upstreams and mtu left for the caller
  std::optional<HostTap> host_tap;  // nullopt when kratad reports no host address
};

// The subnets, gateway and host addresses kratad reports; an error when kratad reports no
// zone network (a kratad from before networking) or a malformed one.
Result<ZoneNetwork> NetworkFromHostStatus(const v1::control::GetHostStatusReply& reply);

// netback's name for a domain's first network interface (Linux xen-netback: "vif%u.%u").
std::string VifName(uint32_t domid);

}  // namespace krata::net::kratanet
