#pragma once
// Test helper: compares two images read back with ReadSquashfsTree or ReadErofsTree.

#include <map>
#include <string>

#include "oci/pack/squashfs_reader.h"

namespace krata::oci::pack::testing {

// Same paths and metadata; inodes shared exactly where `want` shares them (inode numbers
// themselves follow write order and may differ).
void ExpectSameTree(const std::map<std::string, ImageNode>& got,
                    const std::map<std::string, ImageNode>& want);

}  // namespace krata::oci::pack::testing
