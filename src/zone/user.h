#pragma once
// The workload's credentials from an OCI "User" string ("", "name", "uid", "name:group",
// "uid:gid", "name:gid", "uid:group"; image-spec config.md) and the image's own /etc/passwd
// and /etc/group. We parse these files ourselves: krata-zone is static and the files belong
// to the image, not to us (no NSS, no getpwnam).
//
// The files are untrusted: parsing is bounded (kMaxDbBytes, kMaxDbLines, kMaxLineBytes) and
// malformed lines are skipped, never fatal; a fuzzer covers both parsers.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace krata::zone {

inline constexpr size_t kMaxDbBytes = 4 << 20;  // larger passwd/group files are cut here
inline constexpr size_t kMaxDbLines = 100000;
inline constexpr size_t kMaxLineBytes = 64 << 10;  // longer lines are skipped
inline constexpr size_t kMaxSupplementaryGroups = 64;

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string home;  // may be empty
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

// passwd(5): name:password:uid:gid:gecos:home:shell. Lines need at least name..gid.
std::vector<PasswdEntry> ParsePasswd(std::string_view text);
// group(5): name:password:gid:member,member...
std::vector<GroupEntry> ParseGroup(std::string_view text);

// A decimal id in 0..2^32-2 (2^32-1 is (uid_t)-1, "no change", and never a valid id).
Result<uint32_t> ParseId(std::string_view s);

struct Credentials {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;  // supplementary groups, without duplicates
  std::string home;              // from passwd; "/" when the user has no entry
  std::string name;              // from passwd; empty when the user has no entry
};

// Resolves spec against the parsed files. Unknown user or group names are an Error naming
// them; a numeric uid without a passwd entry is allowed (gid 0 unless the spec gives one).
// Supplementary groups: every group listing the user's name, plus the primary gid.
Result<Credentials> ResolveUser(std::string_view spec, const std::vector<PasswdEntry>& passwd,
                                const std::vector<GroupEntry>& group);

}  // namespace krata::zone
