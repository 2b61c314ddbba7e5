#pragma once
// The gateway as a virtual host: answers ARP requests and NDP neighbour solicitations for the
// gateway's addresses and ICMP/ICMPv6 echo requests sent to them. Stateless.

#include "net/packet/frame.h"
#include "net/stack/zone_port.h"

namespace krata::net {

// Returns true if the frame was for the gateway host itself and has been handled (answered
// or deliberately ignored); false if it is something else (NAT, another zone, ...).
bool AnswerAsGateway(const Frame& frame, ZonePort& port);

}  // namespace krata::net
