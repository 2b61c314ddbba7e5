#pragma once
// ReadErofsTree: reads an uncompressed EROFS image back into the same path map as
// ReadSquashfsTree (no mount). Used by tests and the layer fuzzer to compare an image written
// by ErofsWriter with the merged layers. Understands what ErofsWriter writes (extended
// inodes, flat plain/inline layouts, inline xattrs) and fails on anything else. Every offset
// is bounds-checked, but it is meant for our own images, not hostile ones; it reads whole
// files into memory, so it suits small images.
//
// ImageNode::mtime is clamped to 32 bits (erofs stores 64); inode_number is i_ino.
// Structural checks: dirents sorted bytewise across the directory, "." and ".." naming the
// directory and its parent, no directory reachable twice.

#include <cstdint>
#include <map>
#include <string>

#include "base/result.h"
#include "oci/pack/squashfs_reader.h"

namespace krata::oci::pack {

Result<std::map<std::string, ImageNode>> ReadErofsTree(const std::string& path,
                                                       uint64_t max_file_bytes = 64 << 20);

}  // namespace krata::oci::pack
