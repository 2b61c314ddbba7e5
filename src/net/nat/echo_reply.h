#pragma once
// Parsing what the kernel hands an echo socket (untrusted bytes from the network; fuzzed by
// net_echo_reply_fuzzer). Pure: no I/O.

#include <cstdint>
#include <optional>

#include "base/bytes.h"

namespace krata::net {

struct EchoReply {
  uint16_t id = 0, seq = 0;
  ByteSpan data;  // the echo data after the 8-byte header
};

// An ICMP echo reply (RFC 792, type 0) or ICMPv6 echo reply (RFC 4443 4.2, type 129) as read
// from a ping or raw socket. Raw IPv4 sockets deliver the IPv4 header first (raw(7));
// `with_ipv4_header` skips it, checking that it is IPv4 carrying ICMP. nullopt for anything
// else or anything truncated.
std::optional<EchoReply> ParseEchoReply(ByteSpan received, bool v6, bool with_ipv4_header);

// Writes the 8-byte echo request header (RFC 792 / RFC 4443 4.1) followed by data into out
// and returns the message length, or 0 if out is too small. IPv4 gets its checksum here;
// the kernel computes ICMPv6 checksums itself (RFC 3542 3.1) and those of ping sockets.
size_t WriteEchoRequest(std::span<uint8_t> out, bool v6, uint16_t id, uint16_t seq, ByteSpan data);

}  // namespace krata::net
