#include "runtime/zone_files.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <filesystem>

#include "base/file.h"
#include "runtime/loop.h"

namespace krata::runtime {
namespace {

namespace fs = std::filesystem;

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error::FromErrno("mkdir", errno, path);
  }
  return {};
}

// A bounded decimal in [lo, hi], whitespace around it allowed.
std::optional<int> ParseBounded(std::string_view s, int lo, int hi) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' || s.back() == '\0')) {
    s.remove_suffix(1);
  }
  if (s.empty() || s.size() > 10) return std::nullopt;
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Status ValidateZoneId(std::string_view id) {
  if (id.empty() || id.size() > 64) return Error::Invalid("zone id", "must be 1..64 characters");
  for (char c : id) {
    bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    if (!ok) return Error::Invalid("zone id", "only letters, digits and '-' are allowed");
  }
  return {};
}

std::string ZoneDir(const std::string& store_dir, const std::string& zone_id) {
  return store_dir + "/zones/" + zone_id;
}

Result<std::string> CreateZoneFiles(const std::string& store_dir, const std::string& zone_id,
                                    const zone::LaunchConfig& config) {
  TRY(ValidateZoneId(zone_id));
  TRY(MakeDir(store_dir));
  TRY(MakeDir(store_dir + "/zones"));
  TRY(RemoveZoneFiles(store_dir, zone_id));
  const std::string dir = ZoneDir(store_dir, zone_id);
  if (::mkdir(dir.c_str(), 0700) != 0) return Error::FromErrno("mkdir", errno, dir);
  const std::string path = dir + "/" + kConfigFileName;
  auto fail = [&](Error e) -> Error {
    (void)RemoveZoneFiles(store_dir, zone_id);
    return e;
  };
  Result<UniqueFd> fd = OpenFile(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (!fd.has_value()) return fail(std::move(fd.error()));
  if (Status s = WriteAll(fd->get(), zone::EncodeLaunchConfig(config)); !s.has_value()) {
    return fail(std::move(s.error()).With(path));
  }
  return path;
}

Status RemoveZoneFiles(const std::string& store_dir, const std::string& zone_id) {
  TRY(ValidateZoneId(zone_id));  // never remove_all a path built from a bad id
  std::error_code ec;
  fs::remove_all(ZoneDir(store_dir, zone_id), ec);
  if (ec) return Error::FromErrno("remove", ec.value(), ZoneDir(store_dir, zone_id));
  return {};
}

std::string FormatLoops(const std::vector<RecordedLoop>& loops) {
  std::string out;
  for (const RecordedLoop& l : loops) {
    if (!out.empty()) out += ',';
    out += "/dev/loop" + std::to_string(l.number) + ":" + l.file + ":none";
  }
  return out;
}

std::vector<RecordedLoop> ParseLoops(std::string_view value) {
  std::vector<RecordedLoop> out;
  constexpr std::string_view kPrefix = "/dev/loop";
  constexpr std::string_view kSuffix = ":none";
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view entry = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    if (entry.substr(0, kPrefix.size()) != kPrefix || entry.size() < kSuffix.size() ||
        entry.substr(entry.size() - kSuffix.size()) != kSuffix) {
      continue;
    }
    entry.remove_prefix(kPrefix.size());
    entry.remove_suffix(kSuffix.size());
    size_t colon = entry.find(':');
    if (colon == std::string_view::npos) continue;
    std::optional<int> number = ParseBounded(entry.substr(0, colon), 0, 1 << 20);
    std::string_view file = entry.substr(colon + 1);
    if (!number || file.empty() || file.front() != '/') continue;
    out.push_back({*number, std::string(file)});
  }
  return out;
}

Status DetachLoopIfBacking(const RecordedLoop& loop, const std::string& sys_block) {
  std::vector<int> backing = TRY(FindLoopsByBackingFile(loop.file, sys_block));
  for (int n : backing) {
    if (n == loop.number) return DetachLoop(n);
  }
  return {};
}

std::optional<ZoneExit> ParseZoneExit(const std::optional<std::string>& code,
                                      const std::optional<std::string>& signal) {
  std::optional<int> sig = signal ? ParseBounded(*signal, 1, 127) : std::nullopt;
  std::optional<int> c = code ? ParseBounded(*code, 0, 255) : std::nullopt;
  if (!sig && !c) return std::nullopt;
  ZoneExit e;
  if (sig) {
    e.signal = *sig;
    e.code = c.value_or(128 + *sig);  // what a shell reports for a killed child
  } else {
    e.code = *c;
  }
  return e;
}

std::optional<std::array<uint8_t, 16>> ParseUuid(std::string_view t) {
  if (t.size() != 36) return std::nullopt;
  std::array<uint8_t, 16> out{};
  size_t byte = 0;
  for (size_t i = 0; i < t.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (t[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    int hi = HexDigit(t[i]), lo = HexDigit(t[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[byte++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return out;
}

}  // namespace krata::runtime
