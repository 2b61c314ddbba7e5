#include "oci/pack/merge_tree.h"

#include <gtest/gtest.h>

#include <map>

namespace krata::oci::pack {
namespace {

class Builder {
 public:
  Builder& Add(EntryType t, std::string path, std::string link = {}, uint64_t size = 0) {
    LayerEntry e;
    e.ordinal = entries_.size();
    e.type = t;
    e.path = std::move(path);
    e.link_target = std::move(link);
    e.size = size;
    e.mode = t == EntryType::kDirectory ? 0755 : 0644;
    entries_.push_back(std::move(e));
    return *this;
  }
  Builder& File(std::string p, uint64_t size = 1) {
    return Add(EntryType::kRegular, std::move(p), {}, size);
  }
  Builder& Dir(std::string p) { return Add(EntryType::kDirectory, std::move(p)); }
  Builder& Link(std::string p, std::string t) {
    return Add(EntryType::kHardlink, std::move(p), std::move(t));
  }
  Builder& Sym(std::string p, std::string t) {
    return Add(EntryType::kSymlink, std::move(p), std::move(t));
  }
  Builder& Wh(std::string p) { return Add(EntryType::kWhiteout, std::move(p)); }
  Builder& Opq(std::string p) { return Add(EntryType::kOpaque, std::move(p)); }
  LayerEntry& last() { return entries_.back(); }
  const std::vector<LayerEntry>& entries() const { return entries_; }

 private:
  std::vector<LayerEntry> entries_;
};

// path -> "type" or "file@layer:ordinal" for compact expectations.
std::map<std::string, std::string> Dump(const MergeTree& t) {
  std::map<std::string, std::string> out;
  t.Walk([&](const std::string& path, const Dentry& d) {
    const Inode& n = *d.inode;
    std::string v = EntryTypeName(n.type);
    if (n.type == EntryType::kRegular) {
      v = "file@" + std::to_string(n.layer) + ":" + std::to_string(n.ordinal);
    }
    out[path] = v;
  });
  return out;
}

TEST(MergeTree, WhiteoutRemovesLowerSubtree) {
  MergeTree t;
  ASSERT_TRUE(
      t.ApplyLayer(0, Builder().Dir("a").File("a/x").File("a/y").File("b").entries()).has_value());
  ASSERT_TRUE(t.ApplyLayer(1, Builder().Wh("a").Wh("missing/child").entries()).has_value());
  EXPECT_EQ(Dump(t), (std::map<std::string, std::string>{{"b", "file@0:3"}}));
  EXPECT_EQ(t.entry_count(), 1u);
}

TEST(MergeTree, WhiteoutOnlyHidesLowerLayersWhateverTheOrder) {
  MergeTree t;
  ASSERT_TRUE(t.ApplyLayer(0, Builder().File("f").entries()).has_value());
  // The same layer re-creates f before whiting it out: the new f stays.
  ASSERT_TRUE(t.ApplyLayer(1, Builder().File("f").Wh("f").entries()).has_value());
  EXPECT_EQ(Dump(t), (std::map<std::string, std::string>{{"f", "file@1:0"}}));
}

TEST(MergeTree, OpaqueKeepsSameLayerChildren) {
  MergeTree t;
  ASSERT_TRUE(
      t.ApplyLayer(0, Builder().Dir("d").File("d/old").Dir("d/sub").File("d/sub/x").entries())
          .has_value());
  ASSERT_TRUE(t.ApplyLayer(1, Builder().Dir("d").File("d/new").Opq("d").entries()).has_value());
  EXPECT_EQ(Dump(t),
            (std::map<std::string, std::string>{{"d", "directory"}, {"d/new", "file@1:1"}}));
}

TEST(MergeTree, DirectoryMergeAndTypeReplacement) {
  MergeTree t;
  ASSERT_TRUE(t.ApplyLayer(0, Builder().Dir("d").File("d/x").File("f").entries()).has_value());
  Builder l1;
  l1.Dir("d").last().mode = 0700;
  l1.File("d/y");
  ASSERT_TRUE(t.ApplyLayer(1, l1.entries()).has_value());
  EXPECT_EQ(t.Find("d")->inode->mode, 0700u);
  EXPECT_NE(t.Find("d/x"), nullptr);  // children kept
  // file replaces directory (subtree gone), directory replaces file.
  ASSERT_TRUE(t.ApplyLayer(2, Builder().File("d").Dir("f").File("f/z").entries()).has_value());
  EXPECT_EQ(Dump(t), (std::map<std::string, std::string>{
                         {"d", "file@2:0"}, {"f", "directory"}, {"f/z", "file@2:2"}}));
  EXPECT_EQ(t.entry_count(), 3u);
}

TEST(MergeTree, DuplicateInOneLayerLastWins) {
  MergeTree t;
  ASSERT_TRUE(t.ApplyLayer(0, Builder().File("f").Sym("f", "x").File("f").entries()).has_value());
  EXPECT_EQ(Dump(t), (std::map<std::string, std::string>{{"f", "file@0:2"}}));
}

TEST(MergeTree, HardlinkSurvivesRemovalOfFirstName) {
  MergeTree t;
  ASSERT_TRUE(t.ApplyLayer(0, Builder().File("a", 5).Link("b", "a").entries()).has_value());
  ASSERT_TRUE(t.ApplyLayer(1, Builder().Wh("a").entries()).has_value());
  t.Freeze();
  EXPECT_EQ(Dump(t), (std::map<std::string, std::string>{{"b", "file@0:0"}}));
  EXPECT_EQ(t.Find("b")->inode->nlink, 1u);
  std::vector<DataSource> src = t.DataSources(0);
  ASSERT_EQ(src.size(), 1u);
  EXPECT_EQ(src[0].ordinal, 0u);
}

TEST(MergeTree, HardlinksShareInodeAcrossLayersAndReplacementBreaksIt) {
  MergeTree t;
  ASSERT_TRUE(t.ApplyLayer(0, Builder().File("a").entries()).has_value());
  ASSERT_TRUE(t.ApplyLayer(1, Builder().Link("b", "a").Link("c", "b").entries()).has_value());
  ASSERT_TRUE(t.ApplyLayer(2, Builder().File("a").entries()).has_value());
  t.Freeze();
  EXPECT_EQ(t.Find("b")->inode, t.Find("c")->inode);
  EXPECT_NE(t.Find("a")->inode, t.Find("b")->inode);
  EXPECT_EQ(t.Find("b")->inode->nlink, 2u);
  EXPECT_EQ(t.DataSources(0).size(), 1u);
  EXPECT_EQ(t.DataSources(2).size(), 1u);
  EXPECT_EQ(t.inode_count(), 3u);  // root, a, b=c
}

TEST(MergeTree, HardlinkIntoReplacedDirectoryKeepsTarget) {
  MergeTree t;
  ASSERT_TRUE(t.ApplyLayer(0, Builder().Dir("d").File("d/f").entries()).has_value());
  ASSERT_TRUE(t.ApplyLayer(1, Builder().Link("d", "d/f").entries()).has_value());
  EXPECT_EQ(Dump(t), (std::map<std::string, std::string>{{"d", "file@0:1"}}));
}

TEST(MergeTree, HostileStructureIsRejected) {
  {
    MergeTree t;
    EXPECT_FALSE(t.ApplyLayer(0, Builder().Link("b", "missing").entries()).has_value());
  }
  {
    MergeTree t;
    EXPECT_FALSE(t.ApplyLayer(0, Builder().Dir("d").Link("b", "d").entries()).has_value());
  }
  {
    // A path through a symlink is never followed.
    MergeTree t;
    EXPECT_FALSE(
        t.ApplyLayer(0, Builder().Sym("lib", "/usr/lib").File("lib/x").entries()).has_value());
  }
  {
    MergeTree t;
    EXPECT_FALSE(t.ApplyLayer(0, Builder().File("").entries()).has_value());
    EXPECT_FALSE(t.ApplyLayer(0, Builder().Sym("", "/").entries()).has_value());
    EXPECT_TRUE(t.ApplyLayer(0, Builder().Dir("").entries()).has_value());
  }
  {
    MergeTree t(/*max_entries=*/3);
    EXPECT_FALSE(t.ApplyLayer(0, Builder().File("a/b/c/d").entries()).has_value());
  }
}

TEST(MergeTree, ImplicitParentsAndWalkOrder) {
  MergeTree t;
  ASSERT_TRUE(t.ApplyLayer(0, Builder().File("z/y/x").File("a").entries()).has_value());
  std::vector<std::string> order;
  t.Walk([&](const std::string& p, const Dentry&) { order.push_back(p); });
  EXPECT_EQ(order, (std::vector<std::string>{"a", "z", "z/y", "z/y/x"}));
  EXPECT_EQ(t.Find("z/y")->inode->mode, 0755u);
  EXPECT_EQ(t.Find("z/y")->inode->uid, 0u);
}

}  // namespace
}  // namespace krata::oci::pack
