#pragma once
// Traffic checks shared by the integration tests (gtest assertions inside).

#include <string>
#include <string_view>

#include "net/packet/addr.h"

namespace krata::net::testing {

// Writes `bytes` of the test pattern on connected TCP socket fd (from a second thread) then
// half-closes, reads the echo to EOF and checks it byte for byte. Returns MB/s echoed.
double ExpectBulkEcho(int fd, size_t bytes);
// TCP: sends msg and reads back as many bytes, expecting msg.
void ExpectEcho(int fd, std::string_view msg);
// UDP (connected): sends msg and expects the same datagram back.
void ExpectUdpEcho(int fd, std::string_view msg);
// Sends ICMP/ICMPv6 echo requests from a ping socket in netns `ns` to dst and expects replies.
void ExpectPing(const std::string& ns, const IpAddr& dst, int count = 3);

}  // namespace krata::net::testing
