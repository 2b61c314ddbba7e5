#pragma once
// Test helpers: build layer tars with libarchive's writer, and a scratch directory.

#include <cstdint>
#include <string>
#include <vector>

#include "oci/pack/layer_entry.h"

namespace krata::oci::pack::testing {

struct TarMember {
  std::string path;  // written verbatim
  EntryType type = EntryType::kRegular;
  std::string data;
  std::string link;  // symlink or hardlink target
  uint32_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 1700000000;
  uint32_t major = 0;
  uint32_t minor = 0;
  std::vector<Xattr> xattrs;
};

TarMember File(std::string path, std::string data, uint32_t mode = 0644);
TarMember Dir(std::string path, uint32_t mode = 0755);
TarMember Symlink(std::string path, std::string target);
TarMember Hardlink(std::string path, std::string target);
TarMember Whiteout(std::string dir, std::string victim);  // "<dir>/.wh.<victim>"
TarMember Opaque(std::string dir);                        // "<dir>/.wh..wh..opq"

enum class TarCompression { kNone, kGzip, kZstd };

// Writes the members as a pax (or ustar) tar to path, compressed as asked. Aborts on failure.
void WriteLayer(const std::string& path, const std::vector<TarMember>& members,
                TarCompression compression = TarCompression::kNone, bool pax = true);
std::string LayerBytes(const std::vector<TarMember>& members,
                       TarCompression compression = TarCompression::kNone);

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace krata::oci::pack::testing
