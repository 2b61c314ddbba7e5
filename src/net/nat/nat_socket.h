#pragma once
// Host-side helpers shared by the UDP and ICMP translators: non-blocking sockets, the L2
// addresses of frames to a zone, payload limits and ICMP errors sent to a zone.

#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/result.h"
#include "base/unique_handle.h"
#include "net/packet/addr.h"
#include "net/packet/build.h"
#include "net/stack/zone_port.h"

namespace krata::net {

inline int Family(const IpAddr& a) { return a.v6 ? AF_INET6 : AF_INET; }
inline ByteSpan AsByteSpan(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const std::byte*>(p), n};
}

// socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol).
Result<UniqueFd> OpenSocket(int family, int type, int protocol);
// A non-blocking UDP socket connected to `to` (the kernel picks the local address and port).
Result<UniqueFd> ConnectedUdp(const Endpoint& to);
// A non-blocking UDP socket bound to the wildcard address of the family on `port`, with
// SO_REUSEADDR; IPv6 ones are IPV6_V6ONLY so the IPv4 socket can share the port.
Result<UniqueFd> BoundUdp(bool v6, uint16_t port);
Status Connect(int fd, const Endpoint& to);

// Frames to a zone come from the gateway's MAC.
L2Addrs ZoneL2(const ZonePort& port);
// Largest UDP payload / ICMP echo data that fits the zone's IP MTU without fragmentation.
size_t MaxUdpPayload(const ZonePort& port, bool v6);
size_t MaxEchoData(const ZonePort& port, bool v6);

// Why a destination could not be reached, mapped to ICMP (RFC 792) / ICMPv6 (RFC 4443) codes.
enum class Unreachable : uint8_t { kPort, kHost, kNet, kAdmin };
// The reason an errno from a host socket means, if it is a reachability error.
std::optional<Unreachable> UnreachableFromErrno(int err);
// Sends a destination unreachable error from `from` to the zone address `to`, quoting the
// zone's IP packet. Returns whether the port accepted the frame.
bool SendUnreachable(ZonePort& port, const IpAddr& from, const IpAddr& to, Unreachable why,
                     ByteSpan offending_ip);

}  // namespace krata::net
