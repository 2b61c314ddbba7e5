#include "oci/local/blob_store.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "base/file.h"

namespace krata::oci::local {
namespace {

constexpr size_t kChunk = 256 << 10;

Status TooBig(const std::string& path, uint64_t max_bytes) {
  return Error::Invalid("read", path + " is larger than " + std::to_string(max_bytes) + " bytes");
}

class DirStore : public BlobStore {
 public:
  DirStore(std::string dir, std::string name) : dir_(std::move(dir)), name_(std::move(name)) {}

  Status Stream(const std::string& path, uint64_t max_bytes, const ChunkSink& sink) override {
    if (!IsSafeMemberPath(path)) return Error::Invalid("read", "unsafe path " + path);
    std::string full = dir_ + "/" + path;
    UniqueFd fd = TRY(OpenFile(full, O_RDONLY | O_NOFOLLOW));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return Error::FromErrno("fstat", errno, full);
    if (!S_ISREG(st.st_mode)) return Error::Invalid("read", full + " is not a regular file");
    if (static_cast<uint64_t>(st.st_size) > max_bytes) return TooBig(full, max_bytes);
    std::vector<char> buf(kChunk);
    uint64_t total = 0;
    for (;;) {
      ssize_t n = ::read(fd.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error::FromErrno("read", errno, full);
      if (n == 0) return {};
      total += static_cast<uint64_t>(n);
      if (total > max_bytes) return TooBig(full, max_bytes);  // grew while we read
      TRY(sink(std::string_view(buf.data(), static_cast<size_t>(n))));
    }
  }
  const std::string& name() const override { return name_; }

 private:
  std::string dir_;
  std::string name_;
};

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

Error ArchiveError(archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return Error::Invalid("archive", what + ": " + (msg != nullptr ? msg : "read error"));
}

// One pass over the tar per Stream call: simple, and blobs are fetched once each.
class TarStore : public BlobStore {
 public:
  TarStore(std::string file, std::string name) : file_(std::move(file)), name_(std::move(name)) {}

  Result<ArchivePtr> Open() const {
    ArchivePtr a(archive_read_new());
    if (!a) return Error::Invalid("archive_read_new", "out of memory");
    // Image archives are plain tar (skopeo, docker save); no decompression filters, so a
    // hostile file cannot make us inflate a bomb just to list it.
    archive_read_support_format_tar(a.get());
    if (archive_read_open_filename(a.get(), file_.c_str(), kChunk) != ARCHIVE_OK) {
      return ArchiveError(a.get(), file_);
    }
    return a;
  }

  Status Stream(const std::string& path, uint64_t max_bytes, const ChunkSink& sink) override {
    if (!IsSafeMemberPath(path)) return Error::Invalid("read", "unsafe path " + path);
    ArchivePtr a = TRY(Open());
    for (;;) {
      archive_entry* e = nullptr;
      int r = archive_read_next_header(a.get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return ArchiveError(a.get(), file_);
      const char* p = archive_entry_pathname(e);
      if (p == nullptr || NormalizeMemberPath(p) != path) continue;
      if (archive_entry_filetype(e) != AE_IFREG) {
        return Error::Invalid("read", name_ + ": " + path + " is not a regular file");
      }
      if (archive_entry_size_is_set(e) && archive_entry_size(e) >= 0 &&
          static_cast<uint64_t>(archive_entry_size(e)) > max_bytes) {
        return TooBig(path, max_bytes);
      }
      uint64_t total = 0;
      std::vector<char> buf(kChunk);
      for (;;) {
        la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
        if (n < 0) return ArchiveError(a.get(), file_ + ": " + path);
        if (n == 0) return {};
        total += static_cast<uint64_t>(n);
        if (total > max_bytes) return TooBig(path, max_bytes);
        TRY(sink(std::string_view(buf.data(), static_cast<size_t>(n))));
      }
    }
    return Error::Invalid("read", name_ + " has no " + path);
  }
  const std::string& name() const override { return name_; }

 private:
  std::string file_;
  std::string name_;
};

}  // namespace

std::unique_ptr<BlobStore> OpenDirStore(std::string dir, std::string name) {
  return std::make_unique<DirStore>(std::move(dir), std::move(name));
}

Result<std::unique_ptr<BlobStore>> OpenTarStore(std::string file, std::string name) {
  auto store = std::make_unique<TarStore>(std::move(file), std::move(name));
  TRY(store->Open());
  return std::unique_ptr<BlobStore>(std::move(store));
}

bool IsSafeMemberPath(std::string_view path) {
  if (path.empty() || path.size() >= 4096 || path.front() == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part) {
      if (c == '\0' || c == '\\') return false;
    }
    start = end + 1;
  }
  return true;
}

std::string NormalizeMemberPath(std::string_view path) {
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    start = end + 1;
  }
  return out;
}

std::string BlobPath(const Digest& digest) {
  return "blobs/" + std::string(digest.algorithm_name()) + "/" + digest.hex();
}

Result<std::string> ReadSmall(BlobStore& store, const std::string& path, uint64_t max_bytes) {
  std::string out;
  TRY(store.Stream(path, max_bytes, [&](std::string_view chunk) -> Status {
    out.append(chunk);
    return {};
  }));
  return out;
}

Result<std::string> ReadVerifiedBlob(BlobStore& store, const Descriptor& desc, uint64_t max_bytes) {
  std::string what = store.name() + " blob " + desc.digest.ToString();
  if (desc.size < 0 || static_cast<uint64_t>(desc.size) > max_bytes) {
    return Error::Invalid("read", what + ": size " + std::to_string(desc.size) +
                                      " exceeds the limit " + std::to_string(max_bytes));
  }
  std::string data = TRY(ReadSmall(store, BlobPath(desc.digest), static_cast<uint64_t>(desc.size)));
  if (data.size() != static_cast<uint64_t>(desc.size)) {
    return Error::Invalid("read", what + " is " + std::to_string(data.size()) +
                                      " bytes, the descriptor says " + std::to_string(desc.size));
  }
  TRY(VerifyDigest(desc.digest, data, what));
  return data;
}

Status CopyVerified(BlobStore& store, const std::string& path, const Descriptor& desc,
                    const std::string& dest) {
  if (desc.size < 0) return Error::Invalid("fetch", "negative descriptor size");
  std::string partial = dest + ".partial";
  Status s;
  {
    Result<UniqueFd> fd = OpenFile(partial, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!fd.has_value()) return std::move(fd.error());
    Hasher hasher(desc.digest.algorithm());
    s = store.Stream(path, static_cast<uint64_t>(desc.size), [&](std::string_view c) -> Status {
      hasher.Update(c);
      return WriteAll(fd->get(), c);
    });
    if (s.has_value() && hasher.size() != static_cast<uint64_t>(desc.size)) {
      s = Error::Invalid("fetch", path + " is " + std::to_string(hasher.size()) +
                                      " bytes, the descriptor says " + std::to_string(desc.size));
    }
    if (s.has_value()) s = CheckDigest(desc.digest, hasher.Finish(), store.name() + " " + path);
    if (s.has_value() && ::fsync(fd->get()) != 0) s = Error::FromErrno("fsync", errno, partial);
  }
  if (s.has_value() && ::rename(partial.c_str(), dest.c_str()) != 0) {
    s = Error::FromErrno("rename", errno, dest);
  }
  if (!s.has_value()) ::unlink(partial.c_str());
  return s;
}

}  // namespace krata::oci::local
