#pragma once
// ReadSquashfsTree: reads a whole squashfs image back into a path map with libsquashfs (no
// mount). Used by tests, the layer fuzzer and later a `verify` command to compare an image
// with the merged layers. Reads all file data into memory: meant for small images.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/pack/layer_entry.h"

namespace krata::oci::pack {

struct ImageNode {
  EntryType type = EntryType::kRegular;
  uint32_t mode = 0;  // permission bits (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t mtime = 0;
  uint32_t inode_number = 0;
  uint32_t nlink = 0;
  uint32_t rdev_major = 0;
  uint32_t rdev_minor = 0;
  std::string data;            // regular files
  std::string symlink_target;  // symlinks
  std::vector<Xattr> xattrs;   // sorted by name
};

// Path ("" is the root, else "a/b") -> node. Errors: unreadable or corrupt image, or files
// larger than max_file_bytes.
Result<std::map<std::string, ImageNode>> ReadSquashfsTree(const std::string& path,
                                                          uint64_t max_file_bytes = 64 << 20);

}  // namespace krata::oci::pack
