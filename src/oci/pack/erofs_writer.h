#pragma once
// ErofsWriter: writes a MergeTree as an uncompressed EROFS image (format: Linux
// fs/erofs/erofs_fs.h, mirrored in erofs_format.h), streaming file data.
//
// Layout (4 KiB blocks):
//   block 0            zeros, super block at byte 1024 (written last)
//   data area          regular files in BeginFile order, each EROFS_INODE_FLAT_PLAIN:
//                      contiguous from a block boundary, the last block zero-padded
//   metadata area      (meta_blkaddr) 64-byte extended inodes, root first (nid 0, as
//                      root_nid has 16 bits), each followed by its inline xattrs and, for
//                      directories and symlinks, an inline tail (EROFS_INODE_FLAT_INLINE)
//                      when it fits in the inode's block
//   directory area     full blocks of directories (and symlinks too long to inline)
// File data is written sequentially as it arrives, so memory is bounded by metadata: one
// block address per inode, plus the directory being serialised.
//
// Xattrs: user., trusted., security. and the two POSIX ACL names are stored inline;
// anything else (and values over 65535 bytes) is dropped and counted. Device numbers use
// Linux new_encode_dev (12-bit major, 20-bit minor); larger numbers are an error.

#include <cstdint>
#include <memory>

#include "base/bytes.h"
#include "base/result.h"
#include "oci/pack/image_writer.h"
#include "oci/pack/merge_tree.h"

namespace krata::oci::pack {

struct ErofsOptions {
  int64_t build_time = 0;  // super block build_time: 0 keeps images reproducible
};

class ErofsWriter final : public ImageWriter {
 public:
  // Writes to fd (borrowed, empty, seekable). inode_count: MergeTree::inode_count() of the
  // frozen tree that Finish() will get; data inodes are indexed by Inode::id.
  static Result<std::unique_ptr<ErofsWriter>> Create(int fd, const ErofsOptions& options,
                                                     uint32_t inode_count);
  ~ErofsWriter() override;

  Status BeginFile(const Inode& inode) override;
  Status Append(ByteSpan data) override;
  Status EndFile() override;
  Result<ImageStats> Finish(const MergeTree& tree) override;

 private:
  struct State;
  explicit ErofsWriter(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace krata::oci::pack
