#pragma once
// MergeTree: the merged filesystem of an ordered list of layers, metadata only (pure, no I/O).
//
// Semantics follow OCI image-spec layer.md ("Applying Changesets", "Whiteouts") and what tar
// extraction onto a rootfs does:
//  * Whiteouts and opaque markers of a layer act on LOWER layers only, so ApplyLayer applies
//    all of them before the layer's other members, whatever their order in the tar.
//  * A directory over an existing directory keeps its children and takes the new metadata;
//    anything else over an existing path replaces it (a directory's subtree goes with it).
//  * A member repeated in one layer: the last one wins.
//  * Hardlinks share the inode of the path they name at that point (this layer or lower).
//    Dentries own inodes jointly, so removing a hardlink's first name keeps the data alive
//    under the remaining names; data is read from the member that created the inode.
//  * Missing parent directories are created with mode 0755, owner 0:0, mtime 0.
//  * Paths are never resolved through symlinks.
// Errors (the whole merge fails): a parent that exists but is not a directory, a hardlink to
// a missing path or to a directory, a non-directory root, more than max_entries paths.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/pack/layer_entry.h"

namespace krata::oci::pack {

struct Inode {
  EntryType type = EntryType::kDirectory;  // never kHardlink, kWhiteout or kOpaque
  uint32_t mode = 0755;                    // permission bits (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;
  uint32_t rdev_major = 0;
  uint32_t rdev_minor = 0;
  uint64_t size = 0;           // regular files
  std::string symlink_target;  // symlinks
  std::vector<Xattr> xattrs;
  uint32_t layer = 0;  // regular files: layer and member ordinal holding the data
  uint64_t ordinal = 0;
  // Set by Freeze(): a dense index over the surviving inodes and the count of names.
  uint32_t id = 0;
  uint32_t nlink = 0;
};

struct Dentry {
  std::shared_ptr<Inode> inode;
  std::map<std::string, std::unique_ptr<Dentry>, std::less<>> children;  // directories only
  bool is_dir() const { return inode->type == EntryType::kDirectory; }
};

struct DataSource {
  uint64_t ordinal;
  Inode* inode;
};

class MergeTree {
 public:
  explicit MergeTree(uint64_t max_entries = uint64_t{1} << 22);

  // Applies one layer (layers lowest first). entries are in tar order.
  Status ApplyLayer(uint32_t layer, const std::vector<LayerEntry>& entries);

  // Finishes the merge: numbers surviving inodes (Inode::id, 0-based, directories included)
  // and counts links. After this the tree must not change.
  void Freeze();
  uint32_t inode_count() const { return inode_count_; }
  // Regular-file inodes whose data lives in `layer`, sorted by member ordinal (after Freeze).
  std::vector<DataSource> DataSources(uint32_t layer) const;

  const Dentry& root() const { return root_; }
  // Lookup without following symlinks; nullptr if absent.
  const Dentry* Find(std::string_view path) const;
  // Visits every path below the root in sorted depth-first order ("" is not visited).
  void Walk(const std::function<void(const std::string& path, const Dentry&)>& fn) const;
  uint64_t entry_count() const { return entries_; }

 private:
  Dentry* FindMutable(std::string_view path);
  Result<Dentry*> EnsureParent(std::string_view parent);
  Status ApplyMember(uint32_t layer, const LayerEntry& e);
  void Remove(Dentry& parent, std::string_view name);
  static uint64_t CountSubtree(const Dentry& d);

  Dentry root_;
  uint64_t max_entries_;
  uint64_t entries_ = 0;  // dentries below the root
  uint32_t inode_count_ = 0;
  std::vector<Inode*> files_;  // after Freeze: regular-file inodes
};

}  // namespace krata::oci::pack
