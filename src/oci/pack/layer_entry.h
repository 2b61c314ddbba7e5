#pragma once
// LayerEntry: the metadata of one layer tar member after validation and normalisation. No
// file data: the merge keeps only these, so its memory is bounded by metadata size.

#include <cstdint>
#include <string>
#include <vector>

namespace krata::oci::pack {

enum class EntryType : uint8_t {
  kRegular,
  kDirectory,
  kSymlink,
  kHardlink,  // link_target names an earlier path (this layer or lower)
  kCharDevice,
  kBlockDevice,
  kFifo,
  kSocket,
  kWhiteout,  // path is the victim hidden from lower layers
  kOpaque,    // path is the directory whose lower-layer children are hidden
};

const char* EntryTypeName(EntryType t);

struct Xattr {
  std::string name;
  std::string value;
  bool operator==(const Xattr&) const = default;
};

struct LayerEntry {
  uint64_t ordinal = 0;  // position of the member in its layer tar (0-based, all members)
  EntryType type = EntryType::kRegular;
  std::string path;         // normalised (path.h): "" is the root
  std::string link_target;  // symlink: verbatim; hardlink: normalised path
  uint32_t mode = 0;        // permission bits including setuid/setgid/sticky (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;  // seconds since the epoch
  uint32_t rdev_major = 0;
  uint32_t rdev_minor = 0;
  uint64_t size = 0;  // regular files: bytes of data in the member
  std::vector<Xattr> xattrs;
};

}  // namespace krata::oci::pack
