#pragma once
// Read-only access to the files of a local image: a directory (oci:DIR) or a tar archive
// (oci-archive:, docker-archive:) read with libarchive without extracting it. Paths are
// relative, '/'-separated and must pass IsSafeMemberPath; callers build them only from parsed
// digests or validated manifest.json entries. Also the verified copy every FetchBlob uses.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "oci/digest.h"
#include "oci/manifest.h"

namespace krata::oci::local {

// r, or its error with `outer` context added.
template <typename T>
Result<T> WithContext(Result<T> r, std::string_view outer) {
  if (!r.has_value()) return std::move(r.error()).With(outer);
  return r;
}

// Receives a file's bytes in order; an error stops the stream.
using ChunkSink = std::function<Status(std::string_view)>;

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Feeds the regular file at `path` to `sink`. Errors: absent, not a regular file, or more
  // than max_bytes (checked as bytes arrive, so a lying header cannot make us read forever).
  virtual Status Stream(const std::string& path, uint64_t max_bytes, const ChunkSink& sink) = 0;
  // For messages: "oci:/x" or "oci-archive:/x.tar".
  virtual const std::string& name() const = 0;
};

std::unique_ptr<BlobStore> OpenDirStore(std::string dir, std::string name);
// Checks the file can be opened as a tar now, so errors show at open time.
Result<std::unique_ptr<BlobStore>> OpenTarStore(std::string file, std::string name);

// Relative, no empty/"."/".." components, no leading '/', no NUL or backslash, < 4096 bytes.
bool IsSafeMemberPath(std::string_view path);
// "./a//b" -> "a/b" (archive member names as tar writers spell them).
std::string NormalizeMemberPath(std::string_view path);

// "blobs/<alg>/<hex>" (image-spec image-layout.md, "Blobs"), from a parsed digest only.
std::string BlobPath(const Digest& digest);

// Reads a whole small file.
Result<std::string> ReadSmall(BlobStore& store, const std::string& path, uint64_t max_bytes);

// Reads the blob of `desc` (at most max_bytes, else an error before reading) and checks its
// size and digest.
Result<std::string> ReadVerifiedBlob(BlobStore& store, const Descriptor& desc, uint64_t max_bytes);

// Copies `path` to dest through "dest.partial", hashing as it goes; renamed only once the
// size and digest equal desc's. On any error neither file is left.
Status CopyVerified(BlobStore& store, const std::string& path, const Descriptor& desc,
                    const std::string& dest);

}  // namespace krata::oci::local
