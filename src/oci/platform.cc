#include "oci/platform.h"

#include <cctype>

namespace krata::oci {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "v7" -> 7 for arm variants; 0 when not of that form.
int ArmVariantLevel(std::string_view v) {
  if (v.size() != 2 || v[0] != 'v' || v[1] < '1' || v[1] > '9') return 0;
  return v[1] - '0';
}

}  // namespace

std::string Platform::ToString() const {
  std::string out = os + "/" + architecture;
  if (!variant.empty()) out += "/" + variant;
  return out;
}

Platform NormalizePlatform(const Platform& p) {
  Platform n;
  n.os = Lower(p.os);
  n.architecture = Lower(p.architecture);
  n.variant = Lower(p.variant);
  n.os_version = p.os_version;
  if (n.os == "macos") n.os = "darwin";
  const std::string& a = n.architecture;
  if (a == "i386") {
    n.architecture = "386";
    n.variant.clear();
  } else if (a == "x86_64" || a == "x86-64" || a == "amd64") {
    n.architecture = "amd64";
    if (n.variant == "v1") n.variant.clear();  // the baseline level is no variant
  } else if (a == "aarch64" || a == "arm64") {
    n.architecture = "arm64";
    if (n.variant.empty() || n.variant == "8" || n.variant == "v8") n.variant = "v8";
  } else if (a == "armhf") {
    n.architecture = "arm";
    n.variant = "v7";
  } else if (a == "armel") {
    n.architecture = "arm";
    n.variant = "v6";
  } else if (a == "arm") {
    if (n.variant.empty() || n.variant == "7") {
      n.variant = "v7";
    } else if (n.variant.size() == 1 && n.variant[0] >= '5' && n.variant[0] <= '8') {
      n.variant = "v" + n.variant;
    }
  }
  return n;
}

Result<Platform> ParsePlatform(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() < 2 || parts.size() > 3) {
    return Error::Invalid(
        "platform", "expected OS/ARCH[/VARIANT], got \"" + std::string(text.substr(0, 100)) + "\"");
  }
  for (std::string_view part : parts) {
    if (part.empty() || part.size() > 64) {
      return Error::Invalid(
          "platform", "empty or overlong part in \"" + std::string(text.substr(0, 100)) + "\"");
    }
    for (char c : part) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
        return Error::Invalid("platform",
                              "bad character in \"" + std::string(text.substr(0, 100)) + "\"");
      }
    }
  }
  Platform p{std::string(parts[0]),
             std::string(parts[1]),
             parts.size() == 3 ? std::string(parts[2]) : std::string(),
             {}};
  return NormalizePlatform(p);
}

Platform DefaultPlatform() { return Platform{"linux", "amd64", "", ""}; }

bool PlatformMatches(const Platform& wanted_in, const Platform& candidate_in) {
  Platform w = NormalizePlatform(wanted_in);
  Platform c = NormalizePlatform(candidate_in);
  if (w.os != c.os || w.architecture != c.architecture) return false;
  if (w.variant.empty() || w.variant == c.variant) return true;
  if (w.architecture == "arm") {
    int wl = ArmVariantLevel(w.variant);
    int cl = ArmVariantLevel(c.variant);
    return wl != 0 && cl != 0 && cl <= wl;
  }
  return false;
}

std::optional<size_t> SelectPlatform(const Platform& wanted_in,
                                     const std::vector<std::optional<Platform>>& candidates) {
  Platform w = NormalizePlatform(wanted_in);
  std::optional<size_t> best;
  int best_rank = 0;  // 3: exact variant, 2: compatible arm variant (by level), 1: any variant
  int best_level = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!candidates[i].has_value() || !PlatformMatches(w, *candidates[i])) continue;
    Platform c = NormalizePlatform(*candidates[i]);
    int rank = c.variant == w.variant ? 3 : (w.variant.empty() ? 1 : 2);
    int level = ArmVariantLevel(c.variant);
    if (rank > best_rank || (rank == 2 && best_rank == 2 && level > best_level)) {
      best = i;
      best_rank = rank;
      best_level = level;
    }
  }
  return best;
}

}  // namespace krata::oci
