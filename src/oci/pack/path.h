#pragma once
// Path rules for layer tar members (OCI image-spec layer.md, "Changesets" and "Whiteouts").
//
// Member names are normalised lexically and never resolved against the tree: a leading '/',
// "./", empty and "." components are dropped, ".." removes the previous component, and a ".."
// that would climb above the root is an error. Symlinks are never followed (they are data).
// The result is "" for the root or "a/b/c": no leading, trailing or doubled '/'.

#include <string>
#include <string_view>

#include "base/result.h"

namespace krata::oci::pack {

// Linux limits: NAME_MAX for one component, PATH_MAX - 1 for a whole path. Squashfs stores
// names of at most 256 bytes; deeper limits also bound recursion over the merged tree.
inline constexpr size_t kMaxNameLength = 255;
inline constexpr size_t kMaxPathLength = 4095;

// Normalises a member name or hardlink target (see above). Errors: ".." escaping the root,
// a NUL byte, a component longer than kMaxNameLength, a result longer than kMaxPathLength.
Result<std::string> NormalisePath(std::string_view raw);

// "a/b/c" -> {"a/b", "c"}; "c" -> {"", "c"}; "" -> {"", ""}.
std::pair<std::string_view, std::string_view> SplitParent(std::string_view path);

// Whiteout markers (layer.md "Whiteouts"): ".wh.NAME" hides NAME of lower layers,
// ".wh..wh..opq" hides every lower-layer child of its directory.
inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
inline constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
// Other ".wh..wh." names are aufs bookkeeping (e.g. ".wh..wh.plnk"); Docker skips them.
inline constexpr std::string_view kAufsMetaPrefix = ".wh..wh.";

enum class PathKind {
  kNormal,    // an ordinary member
  kWhiteout,  // target is the hidden path (parent + victim name)
  kOpaque,    // target is the directory whose lower children are hidden
  kAufsMeta,  // aufs bookkeeping under or named ".wh..wh.*": skipped
};

struct ClassifiedPath {
  PathKind kind = PathKind::kNormal;
  std::string target;  // the path the member acts on
};

// Classifies a normalised path. Errors: a whiteout whose victim is "", "." or ".." (a marker
// named ".wh.", ".wh.." or ".wh..."), or a ".wh." component used as a directory.
Result<ClassifiedPath> ClassifyPath(std::string_view normalised);

}  // namespace krata::oci::pack
