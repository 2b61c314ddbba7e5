#pragma once
// Contents krata-zone writes into the workload's /etc (hostname, hosts, resolv.conf), and the
// console device name; pure functions over strings.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace krata::zone {

// A hostname sethostname(2) and resolvers accept: 1..64 bytes of [A-Za-z0-9.-], not starting
// or ending with '-' or '.'.
Status ValidateHostname(std::string_view name);

// existing /etc/hosts (may be empty) with "127.0.0.1 localhost" ensured (prepended when no
// line maps 127.0.0.1 to localhost) and "127.0.1.1 <hostname>" ensured (appended when no
// 127.0.1.1 line names it; other lines are kept untouched).
std::string EnsureHosts(std::string_view existing, std::string_view hostname);

// "# krata ..." header and one "nameserver" line each; Error on a value with whitespace or
// control bytes (it would inject resolver options).
Result<std::string> ResolvConf(const std::vector<std::string>& nameservers);

// From /sys/class/tty/console/active ("tty0 hvc0\n"; the last one is /dev/console's
// device): "/dev/hvc0". nullopt when empty or not a plain device name.
std::optional<std::string> ConsoleDevice(std::string_view active);

}  // namespace krata::zone
