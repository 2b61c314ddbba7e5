#pragma once
// LayerReader: streams the members of one layer blob (tar, tar+gzip or tar+zstd) with
// libarchive, one pass, constant memory. Metadata is validated and normalised into
// LayerEntry; file data is only decompressed when ReadData() asks for it (otherwise the
// next Next() skips it).
//
// Rules (errors unless noted): names and hardlink targets per path.h (".." escaping the root
// is an error); uid/gid must fit 32 bits; device numbers must fit Linux's 12-bit major and
// 20-bit minor; sizes must be non-negative and present in the stream (a size field past the
// end of the stream fails as a truncated archive); unknown member types fail; a symlink needs
// a non-empty target of at most 4095 bytes; xattrs are capped (kMaxXattrBytes per member,
// kMaxXattrValue per value) and returned sorted, one per name (the last wins). aufs
// metadata members (".wh..wh.*") are skipped and counted in skipped(). Whiteout markers are
// returned as kWhiteout/kOpaque entries.

#include <archive.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "oci/pack/layer_entry.h"

namespace krata::oci::pack {

// How a layer blob is compressed. kDetect sniffs the magic; the others also check it, so a
// media type that lies about the blob is an error.
enum class LayerFormat { kDetect, kTar, kTarGzip, kTarZstd };

inline constexpr size_t kMaxXattrBytes = 1 << 20;
inline constexpr size_t kMaxXattrValue = 64 << 10;  // Linux XATTR_SIZE_MAX

class LayerReader {
 public:
  // Reads from fd at its current offset; fd is borrowed and must outlive the reader.
  // label names the layer in errors (e.g. "layer 2").
  static Result<LayerReader> Open(int fd, LayerFormat format, std::string label);

  LayerReader(LayerReader&&) noexcept = default;
  LayerReader& operator=(LayerReader&&) noexcept = default;
  ~LayerReader();

  // The next member, or nullopt at the end of the archive.
  Result<std::optional<LayerEntry>> Next();

  // Streams the data of the member last returned by Next() (a kRegular entry) to sink in
  // chunks; sparse holes arrive as zeros. Fails unless exactly entry.size bytes arrive.
  Status ReadData(const std::function<Status(ByteSpan)>& sink);

  // Bytes consumed from fd so far (compressed), for progress.
  uint64_t bytes_read() const;
  uint64_t skipped() const { return skipped_; }

 private:
  struct ArchiveFree {
    void operator()(archive* a) const;
  };
  LayerReader(std::unique_ptr<archive, ArchiveFree> a, LayerFormat format, std::string label)
      : a_(std::move(a)), format_(format), label_(std::move(label)) {}
  Error Fail(std::string_view what) const;
  Status CheckFilter();

  std::unique_ptr<archive, ArchiveFree> a_;
  LayerFormat format_;
  std::string label_;
  uint64_t next_ordinal_ = 0;
  uint64_t skipped_ = 0;
  uint64_t current_size_ = 0;
  std::string current_path_;
  bool filter_checked_ = false;
};

}  // namespace krata::oci::pack
