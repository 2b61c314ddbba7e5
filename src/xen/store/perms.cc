#include "xen/store/perms.h"

#include "xen/abi/xs_wire.h"

namespace krata::xen::store {
namespace {

constexpr std::string_view kOp = "xenstore perms";

// Longest canonical entry: letter + "65535".
constexpr size_t kMaxPermLen = 6;

char AccessLetter(Access a) {
  switch (a) {
    case Access::kNone:
      return 'n';
    case Access::kRead:
      return 'r';
    case Access::kWrite:
      return 'w';
    case Access::kReadWrite:
      return 'b';
  }
  return '?';  // unreachable for valid enum values
}

// Printable form of untrusted bytes for error messages (bounded, no control characters).
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 16)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (s.size() > 16) out += "...";
  return out + "\"";
}

}  // namespace

Result<Perm> ParsePerm(std::string_view s) {
  if (s.size() < 2 || s.size() > kMaxPermLen) {
    return Error::Invalid(kOp, "bad permission " + Quote(s));
  }
  Perm p;
  switch (s[0]) {
    case 'n':
      p.access = Access::kNone;
      break;
    case 'r':
      p.access = Access::kRead;
      break;
    case 'w':
      p.access = Access::kWrite;
      break;
    case 'b':
      p.access = Access::kReadWrite;
      break;
    default:
      return Error::Invalid(kOp, "unknown access letter in " + Quote(s));
  }
  std::string_view digits = s.substr(1);
  if (digits.size() > 1 && digits[0] == '0') {
    return Error::Invalid(kOp, "leading zero in domid of " + Quote(s));
  }
  uint32_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return Error::Invalid(kOp, "bad domid in " + Quote(s));
    v = v * 10 + static_cast<uint32_t>(c - '0');  // at most 5 digits: no overflow
  }
  if (v > UINT16_MAX) return Error::Invalid(kOp, "domid out of range in " + Quote(s));
  p.domid = static_cast<uint16_t>(v);
  return p;
}

std::string FormatPerm(const Perm& p) { return AccessLetter(p.access) + std::to_string(p.domid); }

Result<std::vector<Perm>> ParsePermList(std::string_view payload) {
  if (payload.size() > abi::kXsPayloadMax) {
    return Error::Invalid(kOp, "permission list exceeds XENSTORE_PAYLOAD_MAX");
  }
  if (payload.empty()) return Error::Invalid(kOp, "empty permission list");
  if (payload.back() != '\0') return Error::Invalid(kOp, "permission list not NUL-terminated");
  std::vector<Perm> out;
  size_t start = 0;
  while (start < payload.size()) {
    size_t end = payload.find('\0', start);  // found: the payload ends with a NUL
    out.push_back(TRY(ParsePerm(payload.substr(start, end - start))));
    start = end + 1;
  }
  return out;
}

Result<std::string> FormatPermList(std::span<const Perm> perms) {
  if (perms.empty()) return Error::Invalid(kOp, "a permission list needs an owner entry");
  std::string out;
  for (const Perm& p : perms) {
    out += FormatPerm(p);
    out.push_back('\0');
  }
  return out;
}

}  // namespace krata::xen::store
