#pragma once
// xenstore node permissions: the typed form of the "<letter><domid>" strings that GET_PERMS
// returns and SET_PERMS takes (xen docs/misc/xenstore.txt, "GET_PERMS"/"SET_PERMS").
// The first entry names the node's owner (who always has full access) and the access every
// domain not listed later gets; each later entry grants one domain its access.
//
// Pure code, no I/O. Perm strings can come from nodes guests own, so parsing is strict:
// one of the letters n/r/w/b, then a decimal domid 0..65535 without sign, spaces or leading
// zeros (xenstored itself formats them with "%c%u").

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace krata::xen::store {

enum class Access : uint8_t {
  kNone,       // 'n'
  kRead,       // 'r'
  kWrite,      // 'w'
  kReadWrite,  // 'b' ("both")
};

struct Perm {
  uint16_t domid = 0;
  Access access = Access::kNone;
  friend bool operator==(const Perm&, const Perm&) = default;
};

// "r3" -> {3, kRead}; anything else is an Error::Invalid quoting (a prefix of) the input.
Result<Perm> ParsePerm(std::string_view s);
std::string FormatPerm(const Perm& p);

// A GET_PERMS reply: "<perm>\0" one or more times (every entry NUL-terminated). Refuses an
// empty list, empty entries, a missing final NUL and payloads over XENSTORE_PAYLOAD_MAX.
Result<std::vector<Perm>> ParsePermList(std::string_view payload);
// The perm part of a SET_PERMS payload: each entry followed by a NUL. Refuses an empty list.
Result<std::string> FormatPermList(std::span<const Perm> perms);

}  // namespace krata::xen::store
