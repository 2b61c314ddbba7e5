// Fuzzes what krata-zone reads from the image to pick the workload's credentials: /etc/passwd
// and /etc/group (untrusted, from any image) and the OCI User string. Input: passwd NUL group
// NUL spec. Invariants: parsed entries are well-formed and bounded, and every parsed name
// resolves back to its own entry.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "zone/user.h"

using namespace krata::zone;

// Numeric names are read as ids by ResolveUser (as docker does), so they skip the round trip.
static bool AllDigits(std::string_view s) {
  return s.find_first_not_of("0123456789") == std::string_view::npos;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t a = in.find('\0');
  std::string_view passwd_text = in.substr(0, a);
  std::string_view rest = a == std::string_view::npos ? std::string_view() : in.substr(a + 1);
  size_t b = rest.find('\0');
  std::string_view group_text = rest.substr(0, b);
  std::string_view spec = b == std::string_view::npos ? std::string_view() : rest.substr(b + 1);

  std::vector<PasswdEntry> passwd = ParsePasswd(passwd_text);
  std::vector<GroupEntry> group = ParseGroup(group_text);
  if (passwd.size() > kMaxDbLines || group.size() > kMaxDbLines) std::abort();
  for (const PasswdEntry& p : passwd) {
    if (p.name.empty() || p.name.find_first_of(":\n,") != std::string::npos) std::abort();
    if (p.uid == 0xffffffffu || p.gid == 0xffffffffu) std::abort();
    if (AllDigits(p.name)) continue;
    krata::Result<Credentials> c = ResolveUser(p.name, passwd, group);
    if (!c.has_value()) std::abort();
    // The first entry with this name wins; its uid must be what we got.
    for (const PasswdEntry& q : passwd) {
      if (q.name == p.name) {
        if (c->uid != q.uid || c->gid != q.gid) std::abort();
        break;
      }
    }
    if (c->groups.empty() || c->groups.size() > kMaxSupplementaryGroups) std::abort();
  }
  for (const GroupEntry& g : group) {
    for (const std::string& m : g.members) {
      if (m.empty() || m.find_first_of(":\n,") != std::string::npos) std::abort();
    }
    if (!passwd.empty() && !AllDigits(passwd[0].name) && !AllDigits(g.name)) {
      krata::Result<Credentials> c = ResolveUser(passwd[0].name + ":" + g.name, passwd, group);
      if (!c.has_value()) std::abort();
    }
  }
  krata::Result<Credentials> c = ResolveUser(spec, passwd, group);
  if (c.has_value() && (c->groups.empty() || c->groups.size() > kMaxSupplementaryGroups)) {
    std::abort();
  }
  return 0;
}
