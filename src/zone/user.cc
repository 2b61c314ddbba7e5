#include "zone/user.h"

#include <algorithm>
#include <optional>

namespace krata::zone {
namespace {

constexpr std::string_view kOp = "user";

// Calls fn(line) for each line of text within the parser bounds; skips overlong lines.
template <typename Fn>
void ForEachLine(std::string_view text, Fn&& fn) {
  text = text.substr(0, kMaxDbBytes);
  size_t lines = 0;
  while (!text.empty() && lines < kMaxDbLines) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++lines;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kMaxLineBytes || line.empty() || line.front() == '#') continue;
    fn(line);
  }
}

std::vector<std::string_view> Split(std::string_view s, char sep, size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    size_t at = s.find(sep);
    if (at == std::string_view::npos) break;
    parts.push_back(s.substr(0, at));
    s = s.substr(at + 1);
  }
  parts.push_back(s);
  return parts;
}

// NIS compat entries ("+", "-name") and names with bytes a shell user could not type.
bool PlausibleName(std::string_view name) {
  if (name.empty() || name.size() > 256 || name[0] == '+' || name[0] == '-') return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == ',' || c == ':';
  });
}

bool IsNumeric(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void AddGroup(std::vector<uint32_t>& groups, uint32_t gid) {
  if (std::find(groups.begin(), groups.end(), gid) == groups.end() &&
      groups.size() < kMaxSupplementaryGroups) {
    groups.push_back(gid);
  }
}

}  // namespace

Result<uint32_t> ParseId(std::string_view s) {
  if (!IsNumeric(s) || s.size() > 10) return Error::Invalid(kOp, "not a numeric id");
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  if (v >= 0xffffffffu) return Error::Invalid(kOp, "id out of range");
  return static_cast<uint32_t>(v);
}

std::vector<PasswdEntry> ParsePasswd(std::string_view text) {
  std::vector<PasswdEntry> out;
  ForEachLine(text, [&](std::string_view line) {
    std::vector<std::string_view> f = Split(line, ':', 7);
    if (f.size() < 4 || !PlausibleName(f[0])) return;
    Result<uint32_t> uid = ParseId(f[2]);
    Result<uint32_t> gid = ParseId(f[3]);
    if (!uid.has_value() || !gid.has_value()) return;
    out.push_back({std::string(f[0]), *uid, *gid, f.size() > 5 ? std::string(f[5]) : ""});
  });
  return out;
}

std::vector<GroupEntry> ParseGroup(std::string_view text) {
  std::vector<GroupEntry> out;
  ForEachLine(text, [&](std::string_view line) {
    std::vector<std::string_view> f = Split(line, ':', 4);
    if (f.size() < 3 || !PlausibleName(f[0])) return;
    Result<uint32_t> gid = ParseId(f[2]);
    if (!gid.has_value()) return;
    GroupEntry g{std::string(f[0]), *gid, {}};
    if (f.size() == 4 && !f[3].empty()) {
      for (std::string_view m : Split(f[3], ',', kMaxLineBytes)) {
        if (PlausibleName(m)) g.members.emplace_back(m);
      }
    }
    out.push_back(std::move(g));
  });
  return out;
}

Result<Credentials> ResolveUser(std::string_view spec, const std::vector<PasswdEntry>& passwd,
                                const std::vector<GroupEntry>& group) {
  size_t colon = spec.find(':');
  std::string_view user = spec.substr(0, colon);
  std::optional<std::string_view> group_spec;
  if (colon != std::string_view::npos) group_spec = spec.substr(colon + 1);
  if (user.empty() && group_spec.has_value()) {
    return Error::Invalid(kOp, "user \"" + std::string(spec) + "\" has a group but no user");
  }

  Credentials c;
  c.home = "/";
  const PasswdEntry* entry = nullptr;
  if (user.empty()) user = "0";  // the image runs as root
  if (IsNumeric(user)) {
    Result<uint32_t> uid = ParseId(user);
    if (!uid.has_value()) {
      return Error::Invalid(kOp, "user id \"" + std::string(user) + "\" out of range");
    }
    c.uid = *uid;
    for (const PasswdEntry& p : passwd) {
      if (p.uid == c.uid) {
        entry = &p;
        break;
      }
    }
  } else {
    for (const PasswdEntry& p : passwd) {
      if (p.name == user) {
        entry = &p;
        break;
      }
    }
    if (entry == nullptr) {
      return Error::Invalid(kOp, "unknown user \"" + std::string(user) +
                                     "\": no such name in the image's /etc/passwd");
    }
  }
  if (entry != nullptr) {
    c.uid = entry->uid;
    c.gid = entry->gid;
    c.name = entry->name;
    if (!entry->home.empty()) c.home = entry->home;
  }

  if (group_spec.has_value()) {
    if (group_spec->empty()) return Error::Invalid(kOp, "empty group in user spec");
    if (IsNumeric(*group_spec)) {
      Result<uint32_t> gid = ParseId(*group_spec);
      if (!gid.has_value()) {
        return Error::Invalid(kOp, "group id \"" + std::string(*group_spec) + "\" out of range");
      }
      c.gid = *gid;
    } else {
      auto it = std::find_if(group.begin(), group.end(),
                             [&](const GroupEntry& g) { return g.name == *group_spec; });
      if (it == group.end()) {
        return Error::Invalid(kOp, "unknown group \"" + std::string(*group_spec) +
                                       "\": no such name in the image's /etc/group");
      }
      c.gid = it->gid;
    }
  }

  AddGroup(c.groups, c.gid);
  if (!c.name.empty()) {
    for (const GroupEntry& g : group) {
      if (std::find(g.members.begin(), g.members.end(), c.name) != g.members.end()) {
        AddGroup(c.groups, g.gid);
      }
    }
  }
  return c;
}

}  // namespace krata::zone
