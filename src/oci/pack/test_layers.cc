#include "oci/pack/test_layers.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace krata::oci::pack::testing {

namespace {

[[noreturn]] void Die(const char* what, archive* a) {
  std::fprintf(stderr, "test layer: %s: %s\n", what, a ? archive_error_string(a) : "");
  std::abort();
}

void Check(archive* a, int r, const char* what) {
  // ARCHIVE_WARN: pax falls back to hdrcharset=BINARY for non-UTF-8 locales; fine.
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) Die(what, a);
}

}  // namespace

TarMember File(std::string path, std::string data, uint32_t mode) {
  TarMember m;
  m.path = std::move(path);
  m.data = std::move(data);
  m.mode = mode;
  return m;
}

TarMember Dir(std::string path, uint32_t mode) {
  TarMember m;
  m.path = std::move(path);
  m.type = EntryType::kDirectory;
  m.mode = mode;
  return m;
}

TarMember Symlink(std::string path, std::string target) {
  TarMember m;
  m.path = std::move(path);
  m.type = EntryType::kSymlink;
  m.link = std::move(target);
  m.mode = 0777;
  return m;
}

TarMember Hardlink(std::string path, std::string target) {
  TarMember m;
  m.path = std::move(path);
  m.type = EntryType::kHardlink;
  m.link = std::move(target);
  return m;
}

TarMember Whiteout(std::string dir, std::string victim) {
  return File((dir.empty() ? "" : dir + "/") + ".wh." + victim, "");
}

TarMember Opaque(std::string dir) {
  return File((dir.empty() ? "" : dir + "/") + ".wh..wh..opq", "");
}

static void WriteTo(archive* a, const std::vector<TarMember>& members) {
  archive_entry* e = archive_entry_new();
  for (const TarMember& m : members) {
    archive_entry_clear(e);
    archive_entry_copy_pathname(e, m.path.c_str());
    archive_entry_set_perm(e, m.mode);
    archive_entry_set_uid(e, m.uid);
    archive_entry_set_gid(e, m.gid);
    archive_entry_set_mtime(e, m.mtime, 0);
    archive_entry_set_size(e, 0);
    switch (m.type) {
      case EntryType::kRegular:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
        break;
      case EntryType::kDirectory:
        archive_entry_set_filetype(e, AE_IFDIR);
        break;
      case EntryType::kSymlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_copy_symlink(e, m.link.c_str());
        break;
      case EntryType::kHardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_copy_hardlink(e, m.link.c_str());
        break;
      case EntryType::kCharDevice:
        archive_entry_set_filetype(e, AE_IFCHR);
        break;
      case EntryType::kBlockDevice:
        archive_entry_set_filetype(e, AE_IFBLK);
        break;
      case EntryType::kFifo:
        archive_entry_set_filetype(e, AE_IFIFO);
        break;
      default:
        std::abort();
    }
    if (m.type == EntryType::kCharDevice || m.type == EntryType::kBlockDevice) {
      archive_entry_set_rdevmajor(e, m.major);
      archive_entry_set_rdevminor(e, m.minor);
    }
    for (const Xattr& x : m.xattrs) {
      archive_entry_xattr_add_entry(e, x.name.c_str(), x.value.data(), x.value.size());
    }
    Check(a, archive_write_header(a, e), "write header");
    if (m.type == EntryType::kRegular && !m.data.empty()) {
      if (archive_write_data(a, m.data.data(), m.data.size()) !=
          static_cast<la_ssize_t>(m.data.size())) {
        Die("write data", a);
      }
    }
  }
  archive_entry_free(e);
}

static archive* NewWriter(TarCompression compression, bool pax) {
  archive* a = archive_write_new();
  if (pax) {
    archive_write_set_format_pax_restricted(a);
  } else {
    archive_write_set_format_ustar(a);
  }
  if (compression == TarCompression::kGzip) archive_write_add_filter_gzip(a);
  if (compression == TarCompression::kZstd) archive_write_add_filter_zstd(a);
  return a;
}

void WriteLayer(const std::string& path, const std::vector<TarMember>& members,
                TarCompression compression, bool pax) {
  archive* a = NewWriter(compression, pax);
  Check(a, archive_write_open_filename(a, path.c_str()), "open");
  WriteTo(a, members);
  Check(a, archive_write_close(a), "close");
  archive_write_free(a);
}

std::string LayerBytes(const std::vector<TarMember>& members, TarCompression compression) {
  ScratchDir dir;
  std::string p = dir.Sub("layer.tar");
  WriteLayer(p, members, compression);
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

ScratchDir::ScratchDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp != nullptr ? tmp : "/tmp") + "/krata-pack-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace krata::oci::pack::testing
