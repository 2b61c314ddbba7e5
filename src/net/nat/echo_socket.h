#pragma once
// Host sockets for ICMP echo: unprivileged ping sockets (SOCK_DGRAM + IPPROTO_ICMP/ICMPV6,
// allowed for the groups in net.ipv4.ping_group_range; the kernel owns the echo id) or raw
// sockets (CAP_NET_RAW; every ICMP packet for the host is copied to each, so they filter).

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"
#include "base/unique_handle.h"
#include "net/packet/addr.h"

namespace krata::net {

// Whether this process may open ping sockets (probed with socket(2), which checks the range).
bool PingSocketsAllowed();

// A non-blocking echo socket connected to dst (so the kernel only delivers its packets). Raw
// sockets also filter to echo replies (ICMP_FILTER, raw(7); ICMP6_FILTER, RFC 3542 3.2).
Result<UniqueFd> OpenEchoSocket(const IpAddr& dst, bool ping);

// Sends one echo request. On ping sockets the kernel replaces id with its own.
Status SendEchoRequest(int fd, bool v6, uint16_t id, uint16_t seq, ByteSpan data);

}  // namespace krata::net
