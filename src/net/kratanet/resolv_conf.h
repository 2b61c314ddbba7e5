#pragma once
// The host's DNS servers from /etc/resolv.conf (resolv.conf(5)): the zones' DNS goes to the
// gateway's port 53 and kratanet relays it to these. The file is trusted-ish host config but
// parsed defensively (fuzzed by resolv_conf_fuzzer): bounded, garbage lines skipped.

#include <cstddef>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "net/packet/addr.h"

namespace krata::net::kratanet {

// glibc's MAXNS: the resolver only uses the first three "nameserver" lines.
inline constexpr size_t kMaxNameservers = 3;

// Nameservers in file order, port 53, at most kMaxNameservers. Lines starting with '#' or ';'
// are comments; "nameserver ADDR [anything]" with an IPv4 or IPv6 address counts; scoped
// IPv6 addresses ("fe80::1%eth0") are skipped (an Endpoint has no scope); anything else
// is ignored.
std::vector<Endpoint> ParseResolvConf(std::string_view text);

// "IP", "IP:PORT" (IPv4), "IPv6", "[IPv6]" or "[IPv6]:PORT"; port 53 by default.
Result<Endpoint> ParseDnsServer(std::string_view text);

}  // namespace krata::net::kratanet
