#pragma once
// Platforms (image-spec image-index.md, "platform") and the choice of one manifest from an
// index. Names are normalised as containerd does (platforms/database.go): x86_64 -> amd64,
// aarch64 -> arm64 with variant v8 the default (so "arm64" and "arm64/v8" are equal),
// arm defaults to v7, armhf -> arm/v7, armel -> arm/v6.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace krata::oci {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  std::string os_version;  // informational (Windows images)

  std::string ToString() const;  // "linux/arm64/v8", "linux/amd64"
  friend bool operator==(const Platform&, const Platform&) = default;
};

// "OS/ARCH[/VARIANT]", normalised. An error for empty parts or more than three parts.
Result<Platform> ParsePlatform(std::string_view text);

// The default target of krata: linux/amd64 (the Xen PV guests it boots are x86_64).
Platform DefaultPlatform();

// Lower-cases and applies the alias table above; arm64's default variant v8 becomes "v8".
Platform NormalizePlatform(const Platform& p);

// Whether an image built for `candidate` runs on `wanted` (both normalised first): same OS
// and architecture; the variant must be equal, except that an empty wanted variant accepts
// any, and an arm/vN target accepts lower arm variants (containerd's Only matcher).
bool PlatformMatches(const Platform& wanted, const Platform& candidate);

// The best of `candidates` for `wanted`: an exact variant match first, then the highest
// compatible arm variant, then (for an empty wanted variant) the first same OS/arch entry.
// nullopt when none matches. Entries without a platform should be passed as nullopt.
std::optional<size_t> SelectPlatform(const Platform& wanted,
                                     const std::vector<std::optional<Platform>>& candidates);

}  // namespace krata::oci
