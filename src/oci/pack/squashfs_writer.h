#pragma once
// SquashfsWriter: writes a MergeTree as a squashfs image with libsquashfs, streaming file data.
//
// Order (the same as squashfs-tools-ng's tar2sqfs): file data goes through the block processor
// first, in any order (BeginFile/Append/EndFile per regular-file inode); Finish() then writes
// inodes children-first so every directory can reference its entries, followed by the
// directory, fragment, id and xattr tables and the final super block. Memory: one sqfs inode
// (4 bytes per data block) per regular file plus the block processor's bounded backlog.

#include <sqfs/predef.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "oci/pack/image_writer.h"
#include "oci/pack/merge_tree.h"
#include "oci/pack/sqfs_util.h"

namespace krata::oci::pack {

enum class SquashfsCompressor { kGzip, kZstd, kXz, kLz4 };

struct SquashfsOptions {
  SquashfsCompressor compressor = SquashfsCompressor::kGzip;
  uint32_t level = 0;               // compression level; 0 = libsquashfs' default (gzip 9, zstd 15)
  uint32_t block_size = 128 << 10;  // power of two, 4 KiB .. 1 MiB
  uint32_t workers = 1;             // compression threads
  uint32_t mkfs_time = 0;           // super block time: 0 keeps images reproducible
};

// xattrs_dropped: names outside user./trusted./security. (squashfs limit).
using SquashfsStats = ImageStats;

class SquashfsWriter final : public ImageWriter {
 public:
  // Writes to fd (borrowed, empty, seekable). inode_count: MergeTree::inode_count() of the
  // frozen tree that Finish() will get; data inodes are indexed by Inode::id.
  static Result<std::unique_ptr<SquashfsWriter>> Create(int fd, const SquashfsOptions& options,
                                                        uint32_t inode_count);
  ~SquashfsWriter() override;

  Status BeginFile(const Inode& inode) override;
  Status Append(ByteSpan data) override;
  Status EndFile() override;

  // Writes metadata and tables; the image is complete when this returns.
  Result<SquashfsStats> Finish(const MergeTree& tree) override;

 private:
  struct State;
  explicit SquashfsWriter(std::unique_ptr<State> s);
  Status WriteTree(const MergeTree& tree);
  std::unique_ptr<State> s_;
};

}  // namespace krata::oci::pack
