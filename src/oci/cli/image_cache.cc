#include "oci/cli/image_cache.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "base/file.h"

namespace krata::oci::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTmpMarker = ".tmp-";

Status MakeDirs(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Error::FromErrno("mkdir", ec.value(), path);
  return {};
}

std::string KeyName(const Digest& d, std::string_view format) {
  return std::string(d.algorithm_name()) + "-" + d.hex() + "." + std::string(format);
}

// "<algo>-<hex>.<format>" back to digest and format; nullopt for anything else.
std::optional<std::pair<Digest, std::string>> ParseKeyName(std::string_view name) {
  size_t dash = name.find('-');
  size_t dot = name.find('.');
  if (dash == std::string_view::npos || dot == std::string_view::npos || dot < dash) {
    return std::nullopt;
  }
  std::string text =
      std::string(name.substr(0, dash)) + ":" + std::string(name.substr(dash + 1, dot - dash - 1));
  Result<Digest> d = Digest::Parse(text);
  if (!d.has_value()) return std::nullopt;
  std::string format(name.substr(dot + 1));
  if (format.empty() || format.find('.') != std::string::npos) return std::nullopt;
  return std::make_pair(*d, format);
}

// Non-blocking: a value when the lock at path was free (held by the returned fd; an invalid
// fd when there is no lock file: every writer creates it before its temporaries).
Result<std::optional<UniqueFd>> TryLock(const std::string& path, int flags) {
  Result<UniqueFd> opened = OpenFile(path, flags);
  if (!opened.has_value()) {
    if (opened.error().errno_value() == ENOENT) return std::optional<UniqueFd>(UniqueFd());
    return std::move(opened.error());
  }
  UniqueFd fd = std::move(*opened);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return std::optional<UniqueFd>();
    return Error::FromErrno("flock", errno, path);
  }
  return std::optional<UniqueFd>(std::move(fd));
}

Status CopyData(int in, int out, const std::string& from) {
  if (::ioctl(out, FICLONE, in) == 0) return {};
  for (;;) {
    ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
    if (n == 0) return {};
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
      return Error::FromErrno("copy_file_range", errno, from);
    }
    break;
  }
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::FromErrno("read", errno, from);
    if (n == 0) return {};
    TRY(WriteAll(out, std::string_view(buf, static_cast<size_t>(n))));
  }
}

// Writes data to path atomically.
Status WriteFileAtomic(const std::string& path, std::string_view data) {
  std::string tmp = path + std::string(kTmpMarker) + "XXXXXX";
  int raw = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (raw < 0) return Error::FromErrno("mkostemp", errno, tmp);
  UniqueFd fd(raw);
  Status st = WriteAll(fd.get(), data);
  if (st.has_value() && ::fchmod(fd.get(), 0644) != 0) st = Error::FromErrno("fchmod", errno, tmp);
  if (st.has_value() && ::fsync(fd.get()) != 0) st = Error::FromErrno("fsync", errno, tmp);
  if (st.has_value() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = Error::FromErrno("rename", errno, path);
  }
  if (!st.has_value()) ::unlink(tmp.c_str());
  return st;
}

}  // namespace

Status ImageCache::Init() const {
  TRY(MakeDirs(ImageDir()));
  TRY(MakeDirs(store_ + "/tmp"));
  return {};
}

std::string ImageCache::ImagePath(const Digest& d, std::string_view format) const {
  return ImageDir() + "/" + KeyName(d, format);
}

std::string ImageCache::MetaPath(const Digest& d, std::string_view format) const {
  return ImagePath(d, format) + ".json";
}

Result<UniqueFd> ImageCache::LockEntry(const Digest& d, std::string_view format) const {
  std::string path = ImagePath(d, format) + ".lock";
  UniqueFd fd = TRY(OpenFile(path, O_RDWR | O_CREAT, 0644));
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return Error::FromErrno("flock", errno, path);
  }
  return fd;
}

Status ImageCache::WriteMetadata(const CacheEntry& e) const {
  nlohmann::json j = {
      {"digest", e.digest.ToString()}, {"format", e.format},     {"size", e.size},
      {"reference", e.reference},      {"platform", e.platform}, {"created", e.created}};
  return WriteFileAtomic(MetaPath(e.digest, e.format), j.dump(2) + "\n");
}

Result<std::vector<CacheEntry>> ImageCache::List() const {
  std::vector<CacheEntry> out;
  std::error_code ec;
  fs::directory_iterator it(ImageDir(), ec);
  if (ec == std::errc::no_such_file_or_directory) return out;
  if (ec) return Error::FromErrno("opendir", ec.value(), ImageDir());
  for (const fs::directory_entry& de : it) {
    std::string name = de.path().filename().string();
    auto key = ParseKeyName(name);
    if (!key.has_value() || !de.is_regular_file(ec)) continue;
    CacheEntry e;
    e.digest = key->first;
    e.format = key->second;
    e.path = de.path().string();
    e.size = de.file_size(ec);
    // Metadata is informational: a missing or unreadable file leaves the fields empty.
    Result<std::string> meta = ReadFile(MetaPath(e.digest, e.format), 1 << 20);
    if (meta.has_value()) {
      nlohmann::json j = nlohmann::json::parse(*meta, nullptr, /*allow_exceptions=*/false);
      if (j.is_object()) {
        if (j.contains("reference") && j["reference"].is_string()) e.reference = j["reference"];
        if (j.contains("platform") && j["platform"].is_string()) e.platform = j["platform"];
        if (j.contains("created") && j["created"].is_number_integer()) e.created = j["created"];
      }
    }
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const CacheEntry& a, const CacheEntry& b) {
    return std::tie(a.digest.hex(), a.format) < std::tie(b.digest.hex(), b.format);
  });
  return out;
}

Result<int> ImageCache::Remove(const Digest& d) const {
  std::vector<CacheEntry> entries = TRY(List());
  int removed = 0;
  for (const CacheEntry& e : entries) {
    if (!(e.digest == d)) continue;
    UniqueFd lock = TRY(LockEntry(e.digest, e.format));
    if (::unlink(e.path.c_str()) != 0 && errno != ENOENT) {
      return Error::FromErrno("unlink", errno, e.path);
    }
    ::unlink(MetaPath(e.digest, e.format).c_str());
    ++removed;
  }
  if (removed == 0) return Error::Invalid("cache rm", "no cache entry for " + d.ToString());
  return removed;
}

Result<GcResult> ImageCache::Gc() const {
  GcResult r;
  std::error_code ec;
  std::set<std::string> images;
  std::vector<std::string> names;
  fs::directory_iterator it(ImageDir(), ec);
  if (!ec) {
    for (const fs::directory_entry& de : it) names.push_back(de.path().filename().string());
  }
  for (const std::string& n : names) {
    if (ParseKeyName(n).has_value()) images.insert(n);
  }
  for (const std::string& n : names) {
    std::string path = ImageDir() + "/" + n;
    size_t tmp = n.find(kTmpMarker);
    if (tmp != std::string::npos) {
      // "<key>.tmp-X" (image) or "<key>.json.tmp-X" (metadata): stale when the key's lock is free.
      std::string key = n.substr(0, tmp);
      if (key.ends_with(".json")) key.resize(key.size() - 5);
      auto lock = TRY(TryLock(ImageDir() + "/" + key + ".lock", O_RDWR));
      if (lock.has_value() && ::unlink(path.c_str()) == 0) ++r.temp_files;
      continue;
    }
    if (n.ends_with(".json")) {
      if (!images.contains(n.substr(0, n.size() - 5)) && ::unlink(path.c_str()) == 0) {
        ++r.metadata;
      }
      continue;
    }
    if (n.ends_with(".lock") && !images.contains(n.substr(0, n.size() - 5))) {
      // Held while a pack runs; unlinking it under our own lock is safe only if it is free.
      auto lock = TRY(TryLock(path, O_RDWR));
      if (lock.has_value() && ::unlink(path.c_str()) == 0) ++r.locks;
    }
  }
  fs::directory_iterator tit(store_ + "/tmp", ec);
  if (!ec) {
    for (const fs::directory_entry& de : tit) {
      if (!de.path().filename().string().starts_with("pack-")) continue;
      auto lock = TRY(TryLock(de.path().string(), O_RDONLY | O_DIRECTORY));
      if (!lock.has_value()) continue;
      fs::remove_all(de.path(), ec);
      if (!ec) ++r.temp_files;
    }
  }
  return r;
}

Result<ImageCache::WorkDir> ImageCache::MakeWorkDir() const {
  TRY(MakeDirs(store_ + "/tmp"));
  std::string path = store_ + "/tmp/pack-XXXXXX";
  if (::mkdtemp(path.data()) == nullptr) return Error::FromErrno("mkdtemp", errno, path);
  Result<UniqueFd> fd = OpenFile(path, O_RDONLY | O_DIRECTORY);
  if (!fd.has_value() || ::flock(fd->get(), LOCK_EX) != 0) {
    std::error_code ec;
    fs::remove_all(path, ec);
    if (!fd.has_value()) return std::move(fd.error());
    return Error::FromErrno("flock", errno, path);
  }
  return WorkDir{path, std::move(*fd)};
}

Status CopyFileAtomic(const std::string& from, const std::string& to, uint32_t mode) {
  UniqueFd in = TRY(OpenFile(from, O_RDONLY));
  std::string tmp = to + std::string(kTmpMarker) + "XXXXXX";
  int raw = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (raw < 0) return Error::FromErrno("mkostemp", errno, tmp);
  UniqueFd out(raw);
  Status st = CopyData(in.get(), out.get(), from);
  if (st.has_value() && ::fchmod(out.get(), mode) != 0) st = Error::FromErrno("fchmod", errno, tmp);
  if (st.has_value() && ::fsync(out.get()) != 0) st = Error::FromErrno("fsync", errno, tmp);
  if (st.has_value() && ::rename(tmp.c_str(), to.c_str()) != 0) {
    st = Error::FromErrno("rename", errno, to);
  }
  if (!st.has_value()) ::unlink(tmp.c_str());
  return st;
}

}  // namespace krata::oci::cli
