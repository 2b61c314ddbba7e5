#pragma once
// The content-addressed image cache under a store directory (issue 4):
//   <store>/cache/image/<algo>-<hex>.<format>        a finished image (only ever complete)
//   <store>/cache/image/<algo>-<hex>.<format>.json   metadata: reference, platform, size, created
//   <store>/cache/image/<algo>-<hex>.<format>.lock   flock'ed while the entry is being made
//   <store>/tmp/pack-XXXXXX/                         a pack's private layer downloads
// An entry is written to a temporary name, fsync'ed and renamed, so a crash never leaves an
// entry that is served later; the temporaries it leaves are removed by Gc().

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_handle.h"
#include "oci/digest.h"

namespace krata::oci::cli {

inline constexpr std::string_view kDefaultStore = "/var/lib/krata";

struct CacheEntry {
  Digest digest;       // the manifest digest
  std::string format;  // "squashfs"
  uint64_t size = 0;   // bytes of the image file
  std::string reference;
  std::string platform;
  int64_t created = 0;  // seconds since the epoch
  std::string path;     // the image file
};

struct GcResult {
  uint64_t temp_files = 0;  // stale image temporaries and pack work directories
  uint64_t metadata = 0;    // metadata files without an image
  uint64_t locks = 0;       // lock files without an image
};

class ImageCache {
 public:
  explicit ImageCache(std::string store) : store_(std::move(store)) {}

  // Creates the cache and tmp directories.
  Status Init() const;

  const std::string& store() const { return store_; }
  std::string ImageDir() const { return store_ + "/cache/image"; }
  std::string ImagePath(const Digest& d, std::string_view format) const;
  std::string MetaPath(const Digest& d, std::string_view format) const;

  // Blocks until this process holds the entry's lock; released when the fd closes.
  Result<UniqueFd> LockEntry(const Digest& d, std::string_view format) const;

  // Writes entry's metadata atomically (temp, fsync, rename).
  Status WriteMetadata(const CacheEntry& entry) const;

  // All complete entries, sorted by digest then format.
  Result<std::vector<CacheEntry>> List() const;

  // Removes every format of digest (under each entry's lock). Returns how many were removed;
  // an error when there was none.
  Result<int> Remove(const Digest& d) const;

  // Removes temporaries whose writer is gone (their lock is free), metadata without an image,
  // and unused lock files. A pack that opened a lock file just before Gc() unlinks it may race
  // with a later pack on a new lock file: both then write the same complete entry through
  // temp + rename, so the result is still one complete entry.
  Result<GcResult> Gc() const;

  // A fresh directory <store>/tmp/pack-XXXXXX, locked (the fd) while in use, so Gc() leaves it.
  struct WorkDir {
    std::string path;
    UniqueFd lock;
  };
  Result<WorkDir> MakeWorkDir() const;

 private:
  std::string store_;
};

// Copies from to to ("<to>.tmp-XXXXXX", reflink when the filesystem can, else a data copy;
// fsync; rename). On error nothing is left at either name.
Status CopyFileAtomic(const std::string& from, const std::string& to, uint32_t mode = 0644);

}  // namespace krata::oci::cli
