#pragma once
// The small pieces of the Linux runtime that need no Xen: the zone directory and its config
// disk, the krata/loops record, and parsing what the guest reports.
//
// Files: <store>/zones/<zone_id>/ (0700) holds config.img (0600), the framed launch config
// (zone/config/launch_config.h) the guest reads as xvdb. The image itself is not copied: its
// packed file is looped read-only where it is.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "runtime/runtime.h"
#include "zone/config/launch_config.h"

namespace krata::runtime {

// Zone ids become directory names and xenstore values: 1..64 of [0-9A-Za-z-].
Status ValidateZoneId(std::string_view zone_id);

std::string ZoneDir(const std::string& store_dir, const std::string& zone_id);
inline constexpr char kConfigFileName[] = "config.img";

// Creates the zone directory (and <store>/zones, 0700) and writes config.img; returns its
// path. A directory left by a crash is replaced.
Result<std::string> CreateZoneFiles(const std::string& store_dir, const std::string& zone_id,
                                    const zone::LaunchConfig& config);
// Removes the zone directory; a missing one is fine.
Status RemoveZoneFiles(const std::string& store_dir, const std::string& zone_id);

// krata/loops (krata.md §3.8): "<loop device>:<backing file>:none", comma-separated.
struct RecordedLoop {
  int number = -1;
  std::string file;
  friend bool operator==(const RecordedLoop&, const RecordedLoop&) = default;
};
std::string FormatLoops(const std::vector<RecordedLoop>& loops);
// Entries that do not parse are skipped (the value is dom0-owned, but stale or hand-edited
// values must not make us detach the wrong device).
std::vector<RecordedLoop> ParseLoops(std::string_view value);

// Detaches loop<number> only while its backing file is still `file`: after a crash the kernel
// may have autocleared it and handed the number to another zone.
Status DetachLoopIfBacking(const RecordedLoop& loop, const std::string& sys_block = "/sys/block");

// The guest's krata/zone/exit-code and exit-signal (guest-written: untrusted). A code is a
// decimal 0..255, a signal 1..127, optionally surrounded by whitespace; anything else is
// ignored. nullopt when no valid code or signal was reported.
std::optional<ZoneExit> ParseZoneExit(const std::optional<std::string>& code,
                                      const std::optional<std::string>& signal);

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex, any case) -> 16 bytes.
std::optional<std::array<uint8_t, 16>> ParseUuid(std::string_view text);

}  // namespace krata::runtime
