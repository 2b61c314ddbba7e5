#include "oci/pack/tree_compare.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>

namespace krata::oci::pack::testing {

void ExpectSameTree(const std::map<std::string, ImageNode>& got,
                    const std::map<std::string, ImageNode>& want) {
  ASSERT_EQ(got.size(), want.size());
  std::map<uint32_t, uint32_t> number_of;
  std::set<uint32_t> numbers;
  for (const auto& [path, w] : want) {
    SCOPED_TRACE(path);
    auto it = got.find(path);
    ASSERT_NE(it, got.end());
    const ImageNode& g = it->second;
    EXPECT_EQ(g.type, w.type);
    EXPECT_EQ(g.mode, w.mode);
    EXPECT_EQ(g.uid, w.uid);
    EXPECT_EQ(g.gid, w.gid);
    EXPECT_EQ(g.mtime, w.mtime);
    EXPECT_EQ(g.nlink, w.nlink);
    EXPECT_EQ(g.rdev_major, w.rdev_major);
    EXPECT_EQ(g.rdev_minor, w.rdev_minor);
    EXPECT_EQ(g.data, w.data);
    EXPECT_EQ(g.symlink_target, w.symlink_target);
    EXPECT_EQ(g.xattrs, w.xattrs);
    auto [pos, fresh] = number_of.emplace(w.inode_number, g.inode_number);
    EXPECT_EQ(pos->second, g.inode_number);
    if (fresh) {
      EXPECT_TRUE(numbers.insert(g.inode_number).second);
    }
  }
}

}  // namespace krata::oci::pack::testing
