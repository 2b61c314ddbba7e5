#include "xen/store/payload.h"

#include "xen/abi/xs_wire.h"

namespace krata::xen::store {
namespace {

constexpr std::string_view kOp = "xenstore payload";
constexpr size_t kMaxToken = 512;

bool PathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '/' || c == '_' || c == '@';
}

}  // namespace

Status ValidatePath(std::string_view path) {
  if (path.empty()) return Error::Invalid(kOp, "empty path");
  if (path.size() > abi::kXsAbsPathMax) return Error::Invalid(kOp, "path too long");
  for (char c : path) {
    if (!PathChar(c)) return Error::Invalid(kOp, "invalid character in path");
  }
  if (path.find("//") != std::string_view::npos) return Error::Invalid(kOp, "'//' in path");
  if (path.size() > 1 && path.back() == '/') return Error::Invalid(kOp, "trailing '/' in path");
  return {};
}

Status ValidateToken(std::string_view token) {
  if (token.size() > kMaxToken) return Error::Invalid(kOp, "watch token too long");
  for (char c : token) {
    if (c < 0x20 || c > 0x7e) return Error::Invalid(kOp, "non-printable byte in watch token");
  }
  return {};
}

Result<WatchEvent> ParseWatchEvent(std::string_view payload) {
  if (payload.size() > abi::kXsPayloadMax) {
    return Error::Invalid(kOp, "watch event exceeds XENSTORE_PAYLOAD_MAX");
  }
  size_t first = payload.find('\0');
  if (first == std::string_view::npos) return Error::Invalid(kOp, "watch event without NUL");
  size_t second = payload.find('\0', first + 1);
  if (second == std::string_view::npos || second + 1 != payload.size()) {
    return Error::Invalid(kOp, "watch event is not exactly \"path\\0token\\0\"");
  }
  if (first == 0) return Error::Invalid(kOp, "watch event with an empty path");
  return WatchEvent{std::string(payload.substr(0, first)),
                    std::string(payload.substr(first + 1, second - first - 1))};
}

Result<std::vector<std::string>> ParseDirectory(std::string_view payload) {
  if (payload.size() > abi::kXsPayloadMax) {
    return Error::Invalid(kOp, "directory listing exceeds XENSTORE_PAYLOAD_MAX");
  }
  std::vector<std::string> out;
  // Some xenstoreds send a lone NUL for an empty directory.
  if (payload.empty() || payload == std::string_view("\0", 1)) return out;
  if (payload.back() != '\0') return Error::Invalid(kOp, "directory listing not NUL-terminated");
  size_t start = 0;
  while (start < payload.size()) {
    size_t end = payload.find('\0', start);  // found: the payload ends with a NUL
    if (end == start) return Error::Invalid(kOp, "empty name in directory listing");
    out.emplace_back(payload.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string FormatWatchEvent(const WatchEvent& ev) { return TwoStrings(ev.path, ev.token); }

std::string TwoStrings(std::string_view a, std::string_view b) {
  std::string out;
  out.reserve(a.size() + b.size() + 2);
  out.append(a);
  out.push_back('\0');
  out.append(b);
  out.push_back('\0');
  return out;
}

Result<uint64_t> ParseDecimal(std::string_view s, uint64_t max) {
  if (s.empty() || s.size() > 20) return Error::Invalid(kOp, "bad decimal number");
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Error::Invalid(kOp, "bad decimal number");
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (digit > max || v > (max - digit) / 10) return Error::Invalid(kOp, "decimal number out of range");
    v = v * 10 + digit;
  }
  return v;
}

Result<uint32_t> ParseTransactionId(std::string_view payload) {
  std::string s = TRY(ParseSingleString(payload));
  uint64_t id = TRY(ParseDecimal(s, UINT32_MAX));
  if (id == 0) return Error::Invalid(kOp, "transaction id 0");
  return static_cast<uint32_t>(id);
}

Status ParseOk(std::string_view payload) {
  if (TRY(ParseSingleString(payload)) != "OK") return Error::Invalid(kOp, "reply is not OK");
  return {};
}

Result<bool> ParseBool(std::string_view payload) {
  std::string s = TRY(ParseSingleString(payload));
  if (s == "T") return true;
  if (s == "F") return false;
  return Error::Invalid(kOp, "reply is neither T nor F");
}

Result<std::string> ParseSingleString(std::string_view payload) {
  if (!payload.empty() && payload.back() == '\0') payload.remove_suffix(1);
  if (payload.find('\0') != std::string_view::npos) {
    return Error::Invalid(kOp, "unexpected NUL in reply");
  }
  return std::string(payload);
}

std::string DomidPayload(uint16_t domid) { return std::to_string(domid) + '\0'; }

std::string IntroducePayload(uint16_t domid, uint64_t mfn, uint32_t port) {
  return std::to_string(domid) + '\0' + std::to_string(mfn) + '\0' + std::to_string(port) + '\0';
}

}  // namespace krata::xen::store
