#include "oci/pack/layer_reader.h"

#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <limits>

#include "oci/pack/path.h"

namespace krata::oci::pack {

namespace {

constexpr size_t kReadBlock = 128 << 10;

Result<uint32_t> Id32(la_int64_t v, const char* what) {
  if (v < 0 || v > std::numeric_limits<uint32_t>::max()) {
    return Error::Invalid("layer entry", std::string(what) + " out of range");
  }
  return static_cast<uint32_t>(v);
}

}  // namespace

const char* EntryTypeName(EntryType t) {
  switch (t) {
    case EntryType::kRegular:
      return "file";
    case EntryType::kDirectory:
      return "directory";
    case EntryType::kSymlink:
      return "symlink";
    case EntryType::kHardlink:
      return "hardlink";
    case EntryType::kCharDevice:
      return "char device";
    case EntryType::kBlockDevice:
      return "block device";
    case EntryType::kFifo:
      return "fifo";
    case EntryType::kSocket:
      return "socket";
    case EntryType::kWhiteout:
      return "whiteout";
    case EntryType::kOpaque:
      return "opaque marker";
  }
  return "?";
}

void LayerReader::ArchiveFree::operator()(archive* a) const { archive_read_free(a); }

LayerReader::~LayerReader() = default;

Result<LayerReader> LayerReader::Open(int fd, LayerFormat format, std::string label) {
  std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
  if (!a) return Error::Invalid("archive_read_new", "out of memory");
  // Only what OCI layers may be: tar (ustar/pax/GNU) raw, gzip or zstd. Fewer decoders,
  // less attack surface. An empty blob is accepted as an empty layer. Both filters are
  // always on so that CheckFilter() can name a mismatch with the declared format.
  archive_read_support_format_tar(a.get());
  archive_read_support_format_empty(a.get());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  if (archive_read_open_fd(a.get(), fd, kReadBlock) != ARCHIVE_OK) {
    return Error::Invalid("archive_read_open_fd", archive_error_string(a.get()) != nullptr
                                                      ? archive_error_string(a.get())
                                                      : "cannot open")
        .With(label);
  }
  return LayerReader(std::move(a), format, std::move(label));
}

Error LayerReader::Fail(std::string_view what) const {
  const char* msg = archive_error_string(a_.get());
  std::string m(what);
  if (msg != nullptr) m += std::string(": ") + msg;
  if (!current_path_.empty()) m += " (at '" + current_path_ + "')";
  return Error::Invalid("read layer", m).With(label_);
}

Status LayerReader::CheckFilter() {
  filter_checked_ = true;
  int code = archive_filter_code(a_.get(), 0);
  bool ok = true;
  switch (format_) {
    case LayerFormat::kDetect:
      break;
    case LayerFormat::kTar:
      ok = code == ARCHIVE_FILTER_NONE;
      break;
    case LayerFormat::kTarGzip:
      ok = code == ARCHIVE_FILTER_GZIP;
      break;
    case LayerFormat::kTarZstd:
      ok = code == ARCHIVE_FILTER_ZSTD;
      break;
  }
  if (!ok) {
    return Error::Invalid("read layer", "compression does not match the media type").With(label_);
  }
  return {};
}

Result<std::optional<LayerEntry>> LayerReader::Next() {
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a_.get(), &e);
    if (!filter_checked_) TRY(CheckFilter());
    if (r == ARCHIVE_EOF) return std::optional<LayerEntry>();
    // ARCHIVE_WARN covers names that cannot be converted to the locale's charset; the raw
    // bytes are still what archive_entry_pathname returns, which is what we store.
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return Fail("bad tar header");
    uint64_t ordinal = next_ordinal_++;
    const char* raw_path = archive_entry_pathname(e);
    if (raw_path == nullptr) return Fail("member without a name");
    current_path_ = raw_path;
    current_size_ = 0;
    auto where = [&](Error err) {
      return std::move(err).With(label_ + " '" + current_path_ + "'");
    };

    Result<std::string> path = NormalisePath(raw_path);
    if (!path.has_value()) return where(path.error());
    Result<ClassifiedPath> cls = ClassifyPath(*path);
    if (!cls.has_value()) return where(cls.error());

    LayerEntry out;
    out.ordinal = ordinal;
    if (cls->kind == PathKind::kAufsMeta) {
      ++skipped_;
      continue;
    }
    if (cls->kind == PathKind::kWhiteout || cls->kind == PathKind::kOpaque) {
      out.type = cls->kind == PathKind::kWhiteout ? EntryType::kWhiteout : EntryType::kOpaque;
      out.path = std::move(cls->target);
      return std::optional<LayerEntry>(std::move(out));
    }
    out.path = std::move(*path);

    const char* hardlink = archive_entry_hardlink(e);
    if (hardlink != nullptr) {
      out.type = EntryType::kHardlink;
      Result<std::string> target = NormalisePath(hardlink);
      if (!target.has_value()) return where(target.error().With("hardlink target"));
      out.link_target = std::move(*target);
    } else {
      switch (archive_entry_filetype(e)) {
        case AE_IFREG:
          out.type = EntryType::kRegular;
          break;
        case AE_IFDIR:
          out.type = EntryType::kDirectory;
          break;
        case AE_IFLNK:
          out.type = EntryType::kSymlink;
          break;
        case AE_IFCHR:
          out.type = EntryType::kCharDevice;
          break;
        case AE_IFBLK:
          out.type = EntryType::kBlockDevice;
          break;
        case AE_IFIFO:
          out.type = EntryType::kFifo;
          break;
        case AE_IFSOCK:
          out.type = EntryType::kSocket;
          break;
        default:
          return where(Error::Invalid("layer entry", "unsupported member type"));
      }
    }
    if (out.type == EntryType::kSymlink) {
      const char* target = archive_entry_symlink(e);
      if (target == nullptr || *target == '\0') {
        return where(Error::Invalid("layer entry", "symlink without a target"));
      }
      out.link_target = target;
      if (out.link_target.size() > kMaxPathLength) {
        return where(Error::Invalid("layer entry", "symlink target longer than 4095 bytes"));
      }
    }
    out.mode = archive_entry_perm(e) & 07777;
    Result<uint32_t> uid = Id32(archive_entry_uid(e), "uid");
    if (!uid.has_value()) return where(uid.error());
    Result<uint32_t> gid = Id32(archive_entry_gid(e), "gid");
    if (!gid.has_value()) return where(gid.error());
    out.uid = *uid;
    out.gid = *gid;
    out.mtime = archive_entry_mtime(e);
    if (out.type == EntryType::kCharDevice || out.type == EntryType::kBlockDevice) {
      out.rdev_major = archive_entry_rdevmajor(e);
      out.rdev_minor = archive_entry_rdevminor(e);
      // Linux dev_t (and squashfs' new_encode_dev) holds a 12-bit major, 20-bit minor.
      if (out.rdev_major >= (1u << 12) || out.rdev_minor >= (1u << 20)) {
        return where(Error::Invalid("layer entry", "device number out of range"));
      }
    }
    if (out.type == EntryType::kRegular) {
      la_int64_t size = archive_entry_size(e);
      if (size < 0) return where(Error::Invalid("layer entry", "negative size"));
      out.size = static_cast<uint64_t>(size);
      current_size_ = out.size;
    }

    size_t xattr_bytes = 0;
    archive_entry_xattr_reset(e);
    const char* name = nullptr;
    const void* value = nullptr;
    size_t value_size = 0;
    while (archive_entry_xattr_next(e, &name, &value, &value_size) == ARCHIVE_OK) {
      if (name == nullptr || *name == '\0') continue;
      if (std::string_view(name).size() > 255) {  // Linux XATTR_NAME_MAX
        return where(Error::Invalid("layer entry", "xattr name longer than 255 bytes"));
      }
      if (value_size > kMaxXattrValue) {
        return where(Error::Invalid("layer entry", "xattr value larger than 64 KiB"));
      }
      xattr_bytes += std::string_view(name).size() + value_size;
      if (xattr_bytes > kMaxXattrBytes) {
        return where(Error::Invalid("layer entry", "xattrs larger than 1 MiB"));
      }
      out.xattrs.push_back(Xattr{
          name, std::string(static_cast<const char*>(value), value == nullptr ? 0 : value_size)});
    }
    // libarchive's pax writer emits each xattr twice (LIBARCHIVE.xattr.* and SCHILY.xattr.*)
    // and its reader returns both: keep one per name, the last, sorted by name.
    std::stable_sort(out.xattrs.begin(), out.xattrs.end(),
                     [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
    auto last = std::unique(out.xattrs.rbegin(), out.xattrs.rend(),
                            [](const Xattr& a, const Xattr& b) { return a.name == b.name; });
    out.xattrs.erase(out.xattrs.begin(), last.base());
    return std::optional<LayerEntry>(std::move(out));
  }
}

Status LayerReader::ReadData(const std::function<Status(ByteSpan)>& sink) {
  static const std::array<std::byte, 64 << 10> kZeros{};
  uint64_t pos = 0;
  auto zeros_to = [&](uint64_t end) -> Status {
    while (pos < end) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(end - pos, kZeros.size()));
      TRY(sink(ByteSpan(kZeros.data(), n)));
      pos += n;
    }
    return {};
  };
  for (;;) {
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(a_.get(), &buf, &len, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return Fail("reading file data");
    // Sparse members report data at increasing offsets; fill the holes.
    if (offset < 0 || static_cast<uint64_t>(offset) < pos ||
        static_cast<uint64_t>(offset) > current_size_ || len > current_size_ - offset) {
      return Fail("file data outside the member size");
    }
    TRY(zeros_to(static_cast<uint64_t>(offset)));
    if (len > 0) TRY(sink(ByteSpan(static_cast<const std::byte*>(buf), len)));
    pos += len;
  }
  return zeros_to(current_size_);
}

uint64_t LayerReader::bytes_read() const {
  la_int64_t n = archive_filter_bytes(a_.get(), -1);
  return n < 0 ? 0 : static_cast<uint64_t>(n);
}

}  // namespace krata::oci::pack
