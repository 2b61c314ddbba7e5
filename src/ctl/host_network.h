#pragma once
// The zone network kratad reports (GetHostStatus): what `kratactl host status` adds to the
// Xen facts when kratad answers.

#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "ctl/client.h"

namespace krata::ctl {

Result<v1::control::GetHostStatusReply> QueryDaemonHost(Connection& conn);
std::string FormatNetworkText(const v1::control::GetHostStatusReply& host);
// Adds ipv4_subnet, ipv6_subnet, gateway_ipv4/ipv6/mac, host_ipv4/ipv6/mac to `out`.
void AddNetworkJson(const v1::control::GetHostStatusReply& host, nlohmann::json& out);

// "-p HOSTPORT:ZONEPORT[/tcp|/udp]" (tcp when no protocol is given).
Result<v1::common::ZonePortForward> ParsePortForward(std::string_view text);

}  // namespace krata::ctl
