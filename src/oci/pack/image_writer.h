#pragma once
// ImageWriter: the seam between the packer (pass 1 merge, pass 2 data copy, pack.h) and one
// image format. Implemented by SquashfsWriter and ErofsWriter.
//
// Call order: BeginFile/Append.../EndFile once per regular-file inode that has data (any
// order, each inode at most once), then Finish(tree) with the frozen MergeTree whose
// inode_count() was given at creation. Inodes of empty files need no BeginFile. Any error
// leaves the writer unusable; the caller discards the output.

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"
#include "oci/pack/merge_tree.h"

namespace krata::oci::pack {

struct ImageStats {
  uint64_t inodes = 0;
  uint64_t bytes = 0;  // image size (a multiple of 4 KiB)
  uint64_t data_bytes_in = 0;
  uint64_t xattrs_dropped = 0;  // names the format cannot store
};

class ImageWriter {
 public:
  virtual ~ImageWriter() = default;
  virtual Status BeginFile(const Inode& inode) = 0;
  virtual Status Append(ByteSpan data) = 0;
  virtual Status EndFile() = 0;
  // Writes metadata; the image is complete (apart from fsync) when this returns.
  virtual Result<ImageStats> Finish(const MergeTree& tree) = 0;
};

}  // namespace krata::oci::pack
