#pragma once
// PackImage: merges OCI image layers and writes the result as one squashfs or erofs image
// (PackOptions::format), without unpacking anything onto the host filesystem.
//
// Two streaming passes over the layer blobs (lowest layer first both times):
//  1. metadata: each layer's members are read (data skipped) and merged into a MergeTree
//     (merge_tree.h has the whiteout/opaque/hardlink/replacement rules);
//  2. data: each layer is read again and only the members whose data survived the merge are
//     streamed to the image writer (image_writer.h: squashfs_writer.h or erofs_writer.h); a
//     layer with no surviving data is not reread, and a layer is abandoned as soon as its
//     last surviving member has been copied.
// Then inodes, directories and tables are written. Memory is bounded by metadata (paths,
// xattrs, one block list or address per file), never by file sizes.
//
// Hostile input policy (consistent: the pack fails with an error naming layer and member, and
// nothing is written outside the output): ".." escaping the root, hardlinks to missing paths
// or directories, paths through a non-directory (e.g. a symlink: never followed), whiteout
// markers with victim "", "." or "..", a non-directory root, unknown member types, truncated
// or corrupt streams (including size fields past the end of the stream), a compression that
// contradicts the declared format, limits exceeded. Leading "/" and "./" are normalised.
// Silently tolerated: aufs ".wh..wh.*" bookkeeping (skipped, counted), xattrs the format
// cannot store (squashfs: outside user./trusted./security.; erofs: outside those and
// system.posix_acl_{access,default}; counted), mtimes outside 32 bits (squashfs: clamped;
// erofs stores 64 bits), "/dev" contents (stored as given; the guest mounts its own /dev).
// Device numbers beyond 12-bit major / 20-bit minor fail (both formats use new_encode_dev).
//
// Output: written to "<output>.tmp-XXXXXX" in the same directory, fsync'ed, then renamed
// over output; on any error the temporary file is removed.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/pack/erofs_writer.h"
#include "oci/pack/layer_reader.h"
#include "oci/pack/squashfs_writer.h"

namespace krata::oci::pack {

struct Layer {
  std::string path;                           // layer blob on disk
  LayerFormat format = LayerFormat::kDetect;  // from the media type, or sniffed
  int fd = -1;  // if >= 0: read this seekable fd (borrowed) instead of opening path
};

enum class ImageFormat { kSquashfs, kErofs };

// "squashfs" / "erofs" (for flags and logs); Parse returns nullopt for anything else.
const char* ImageFormatName(ImageFormat f);
std::optional<ImageFormat> ParseImageFormat(std::string_view name);

struct PackOptions {
  ImageFormat format = ImageFormat::kSquashfs;
  SquashfsOptions squashfs;                     // used when format == kSquashfs
  ErofsOptions erofs;                           // used when format == kErofs
  uint64_t max_entries = uint64_t{1} << 22;     // paths in the merged tree
  uint64_t max_data_bytes = uint64_t{1} << 40;  // sum of member sizes over all layers
  uint32_t file_mode = 0644;                    // mode of the finished image
  bool sync = true;                             // fsync the image before the rename
  // Delete each layer file (Layer::path, when the packer opened it) as soon as pass 2 no
  // longer needs it, so peak disk stays near max(layers, image) rather than their sum. The
  // files are gone afterwards whether the pack succeeded or not.
  bool consume_layers = false;
};

enum class PackPhase {
  kScan,    // pass 1: reading metadata of `layer`
  kData,    // pass 2: copying file data of `layer`
  kFinish,  // writing inodes, directories and tables
  kDone,
};

struct PackProgress {
  PackPhase phase = PackPhase::kScan;
  size_t layer = 0;
  size_t layer_count = 0;
  uint64_t layer_bytes_read = 0;   // compressed bytes of the current layer consumed
  uint64_t layer_bytes_total = 0;  // size of the current layer blob
  uint64_t entries = 0;            // members scanned (kScan) or files written (kData)
  uint64_t data_bytes = 0;         // uncompressed file bytes fed to the image so far
};

// Called on the packing thread at layer boundaries and every few hundred members or MiB;
// must be cheap and must not call back into the packer.
using ProgressFn = std::function<void(const PackProgress&)>;

struct PackResult {
  uint64_t image_bytes = 0;
  uint64_t inodes = 0;
  uint64_t paths = 0;       // names in the image, the root excluded
  uint64_t data_bytes = 0;  // uncompressed file bytes stored
  uint64_t skipped_members = 0;
  uint64_t xattrs_dropped = 0;
};

Result<PackResult> PackImage(const std::vector<Layer>& layers, const std::string& output,
                             const PackOptions& options = {}, const ProgressFn& progress = nullptr);

// PackImage with options.format forced to kSquashfs.
Result<PackResult> PackSquashfs(const std::vector<Layer>& layers, const std::string& output,
                                const PackOptions& options = {},
                                const ProgressFn& progress = nullptr);

}  // namespace krata::oci::pack
