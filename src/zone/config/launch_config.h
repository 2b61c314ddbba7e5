#pragma once
// The launch config: everything krata-zone (the guest's PID 1) needs from the host, written by
// the runtime into a small file that the guest sees as the read-only disk xvdb.
//
// On-disk framing (the guest reads the raw block device; nothing is mounted):
//   bytes 0..7   magic "KRATACF1"
//   bytes 8..11  little-endian u32 length N of the JSON that follows (N <= kMaxConfigJson)
//   bytes 12..   N bytes of JSON, then zero padding to a multiple of 64 KiB: the guest
//                kernel's partition scanners read the disk's first sectors (the Amiga RDB
//                parser reads 16) and log an error to the console when the disk is shorter
// The JSON is versioned ("version": 1); unknown fields are ignored, known ones type-checked.
// The guest treats the bytes as untrusted input anyway (bounds, sizes): a fuzzer covers it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace krata::zone {

inline constexpr std::string_view kConfigMagic = "KRATACF1";
inline constexpr size_t kConfigHeaderBytes = 12;
inline constexpr size_t kMaxConfigJson = 1 << 20;
inline constexpr size_t kConfigAlign = 64 << 10;

enum class RootFormat { kSquashfs, kErofs };

// From the OCI image config (image-spec config.md); the guest applies the rules below.
struct ImageProcess {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=VALUE"
  std::string working_dir;       // "" = "/"
  std::string user;              // "", "name", "uid", "name:group", "uid:gid", ...
};

// What the user asked for at launch; each set field overrides the image's.
struct ProcessOverride {
  std::optional<std::vector<std::string>> args;  // replaces Cmd (Entrypoint kept, as docker run)
  std::vector<std::string> env;                  // "KEY=VALUE", overlaid on the image's Env
  std::optional<std::string> working_dir;
  std::optional<std::string> user;
};

// The zone's eth0 (xen-netfront on the vif kratad reserved). Text as kratad writes it;
// FromJson checks every field, so krata-zone can parse them again without surprises.
struct NetworkConfig {
  std::string mac;       // "02:..:..:..:..:.." (unicast); netfront already has it from the vif
  std::string ipv4;      // "10.75.0.3/16", or "" for no IPv4
  std::string gateway4;  // "10.75.0.1", inside ipv4's subnet; set iff ipv4 is
  std::string ipv6;      // "fdd4:1476:6c7e::3/48", or "" for no IPv6
  std::string gateway6;  // set iff ipv6 is
  uint32_t mtu = 1500;   // 1280 (IPv6's minimum) .. 65535
};

struct LaunchConfig {
  uint32_t version = 1;
  std::string zone_id;   // UUID
  std::string hostname;  // zone name, or "krata-<uuid>"
  RootFormat root_format = RootFormat::kSquashfs;
  ImageProcess image;
  ProcessOverride process;
  uint64_t overlay_bytes = 0;            // size limit of the writable tmpfs; 0 = guest default
  uint32_t shutdown_grace_ms = 10000;    // SIGTERM .. SIGKILL on a host shutdown request
  std::vector<std::string> nameservers;  // kratad gives the gateway's addresses
  std::optional<NetworkConfig> network;  // absent: the zone has no network device
};

// JSON text of the config (no framing).
std::string ToJson(const LaunchConfig& config);
Result<LaunchConfig> FromJson(std::string_view json);

// Framed bytes, padded to kConfigAlign: what the runtime writes to the xvdb file.
std::string EncodeLaunchConfig(const LaunchConfig& config);
// Parses framed bytes (e.g. the first bytes read from /dev/xvdb). Trailing padding is ignored.
Result<LaunchConfig> DecodeLaunchConfig(ByteSpan bytes);

std::string_view RootFormatName(RootFormat f);  // "squashfs" | "erofs"
Result<RootFormat> ParseRootFormat(std::string_view name);

}  // namespace krata::zone
