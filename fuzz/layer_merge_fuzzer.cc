// Fuzzes the layer reader, the merge and both image writers (squashfs, erofs) with arbitrary
// bytes as one or two layer blobs (tar, tar+gzip or tar+zstd: the format is sniffed).
//
// Input: byte 0 = flags. Bit 0 set: two layers, bytes 1..4 = little-endian length of the
// first, the rest is the second; else bytes 1.. are one layer.
//
// Invariants: the merged tree only has valid names (no "", ".", "..", '/', NUL, whiteout
// markers; <= 255 bytes; paths <= 4095) and no hardlinked directories; link counts and entry
// counts agree with a walk; every regular file has exactly one data source. When the merge
// succeeds the full pack must succeed too in both formats, and reading each image back
// (libsquashfs; our erofs reader) must give exactly the merged tree (types, modes, owners,
// sizes, symlink targets, xattrs, hardlink sharing).

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "oci/pack/erofs_reader.h"
#include "oci/pack/layer_reader.h"
#include "oci/pack/merge_tree.h"
#include "oci/pack/pack.h"
#include "oci/pack/path.h"
#include "oci/pack/squashfs_reader.h"

namespace pk = krata::oci::pack;

namespace {

constexpr uint64_t kMaxData = 16 << 20;  // sparse members could claim terabytes of holes

#define FUZZ_CHECK(cond)                                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

int MemFd(const uint8_t* data, size_t size) {
  int fd = memfd_create("layer", MFD_CLOEXEC);
  FUZZ_CHECK(fd >= 0);
  size_t off = 0;
  while (off < size) {
    ssize_t n = write(fd, data + off, size - off);
    FUZZ_CHECK(n > 0);
    off += static_cast<size_t>(n);
  }
  return fd;
}

const std::string& OutputDir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string t = std::string(tmp != nullptr ? tmp : "/tmp") + "/layer-fuzz-XXXXXX";
    FUZZ_CHECK(mkdtemp(t.data()) != nullptr);
    return t;
  }();
  return dir;
}

// Pass 1 exactly as the packer does it; nullopt if the input is rejected.
std::optional<pk::MergeTree> Merge(const std::vector<int>& fds) {
  pk::MergeTree tree;
  uint64_t total = 0;
  for (size_t i = 0; i < fds.size(); ++i) {
    FUZZ_CHECK(lseek(fds[i], 0, SEEK_SET) == 0);
    krata::Result<pk::LayerReader> r =
        pk::LayerReader::Open(fds[i], pk::LayerFormat::kDetect, "layer");
    if (!r.has_value()) return std::nullopt;
    std::vector<pk::LayerEntry> entries;
    for (;;) {
      krata::Result<std::optional<pk::LayerEntry>> e = r->Next();
      if (!e.has_value()) return std::nullopt;
      if (!e->has_value()) break;
      const pk::LayerEntry& le = **e;
      // Reader invariants: normalised paths, no marker names left in member paths.
      FUZZ_CHECK(pk::NormalisePath(le.path).value_or("<bad>") == le.path);
      if (le.type == pk::EntryType::kHardlink) {
        FUZZ_CHECK(pk::NormalisePath(le.link_target).value_or("<bad>") == le.link_target);
      }
      total += le.size;
      if (total > kMaxData) return std::nullopt;
      entries.push_back(le);
    }
    if (!tree.ApplyLayer(static_cast<uint32_t>(i), entries).has_value()) return std::nullopt;
  }
  tree.Freeze();
  return tree;
}

void CheckTree(const pk::MergeTree& tree, size_t layer_count) {
  uint64_t walked = 0;
  std::map<const pk::Inode*, uint32_t> names;
  std::set<const pk::Inode*> files;
  FUZZ_CHECK(tree.root().inode->type == pk::EntryType::kDirectory);
  tree.Walk([&](const std::string& path, const pk::Dentry& d) {
    ++walked;
    FUZZ_CHECK(path.size() <= pk::kMaxPathLength);
    FUZZ_CHECK(pk::NormalisePath(path).value_or("<bad>") == path);
    auto [parent, name] = pk::SplitParent(path);
    FUZZ_CHECK(!name.empty() && name != "." && name != ".." && name.size() <= pk::kMaxNameLength);
    FUZZ_CHECK(!name.starts_with(pk::kWhiteoutPrefix));
    FUZZ_CHECK(tree.Find(path) == &d);
    ++names[d.inode.get()];
    if (d.is_dir()) FUZZ_CHECK(names[d.inode.get()] == 1);
    if (!d.is_dir()) FUZZ_CHECK(d.children.empty());
    if (d.inode->type == pk::EntryType::kRegular) files.insert(d.inode.get());
  });
  FUZZ_CHECK(walked == tree.entry_count());
  for (const auto& [inode, n] : names) FUZZ_CHECK(inode->nlink == n);
  size_t sources = 0;
  for (size_t i = 0; i < layer_count; ++i) {
    for (const pk::DataSource& s : tree.DataSources(static_cast<uint32_t>(i))) {
      FUZZ_CHECK(files.count(s.inode) == 1);
      FUZZ_CHECK(s.inode->layer == i && s.inode->ordinal == s.ordinal);
      ++sources;
    }
  }
  FUZZ_CHECK(sources == files.size());
}

void CheckImage(const pk::MergeTree& tree, const std::vector<int>& fds, pk::ImageFormat format) {
  std::vector<pk::Layer> layers;
  for (int fd : fds) layers.push_back(pk::Layer{"", pk::LayerFormat::kDetect, fd});
  std::string out = OutputDir() + "/image";
  pk::PackOptions opt;
  opt.sync = false;
  opt.max_data_bytes = kMaxData;
  opt.format = format;
  krata::Result<pk::PackResult> packed = pk::PackImage(layers, out, opt);
  if (!packed.has_value()) {
    std::fprintf(stderr, "pack failed after a good merge: %s\n", packed.error().ToString().c_str());
    std::abort();
  }
  const bool erofs = format == pk::ImageFormat::kErofs;
  krata::Result<std::map<std::string, pk::ImageNode>> image =
      erofs ? pk::ReadErofsTree(out, kMaxData) : pk::ReadSquashfsTree(out, kMaxData);
  if (!image.has_value()) {
    std::fprintf(stderr, "reading the image back failed: %s\n", image.error().ToString().c_str());
    std::abort();
  }
  FUZZ_CHECK(image->size() == tree.entry_count() + 1);
  std::map<const pk::Inode*, uint32_t> inode_numbers;
  auto compare = [&](const std::string& path, const pk::Dentry& d) {
    auto it = image->find(path);
    FUZZ_CHECK(it != image->end());
    const pk::ImageNode& n = it->second;
    const pk::Inode& in = *d.inode;
    FUZZ_CHECK(n.type == in.type);
    FUZZ_CHECK(n.mode == (in.mode & 07777));
    FUZZ_CHECK(n.uid == in.uid && n.gid == in.gid);
    if (in.type == pk::EntryType::kRegular) FUZZ_CHECK(n.data.size() == in.size);
    if (in.type == pk::EntryType::kSymlink) FUZZ_CHECK(n.symlink_target == in.symlink_target);
    if (in.type != pk::EntryType::kDirectory) FUZZ_CHECK(n.nlink == in.nlink);
    // Same inode <=> same inode number.
    auto [pos, fresh] = inode_numbers.emplace(&in, n.inode_number);
    FUZZ_CHECK(pos->second == n.inode_number);
    size_t storable = 0;
    for (const pk::Xattr& x : in.xattrs) {
      if (x.name.starts_with("user.") || x.name.starts_with("trusted.") ||
          x.name.starts_with("security.") ||
          (erofs &&
           (x.name == "system.posix_acl_access" || x.name == "system.posix_acl_default"))) {
        ++storable;
      }
    }
    FUZZ_CHECK(n.xattrs.size() <= storable);
    // Whatever the image holds is exactly one of the inode's xattrs (names are unique).
    for (const pk::Xattr& x : n.xattrs) {
      FUZZ_CHECK(std::find(in.xattrs.begin(), in.xattrs.end(), x) != in.xattrs.end());
    }
    if (erofs) FUZZ_CHECK(n.mtime == std::clamp<int64_t>(in.mtime, 0, UINT32_MAX));
  };
  compare("", tree.root());
  tree.Walk(compare);
  std::set<uint32_t> distinct;
  for (const auto& [inode, number] : inode_numbers) distinct.insert(number);
  FUZZ_CHECK(distinct.size() == inode_numbers.size());
  unlink(out.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::vector<int> fds;
  if ((data[0] & 1) != 0 && size >= 5) {
    uint32_t first = static_cast<uint32_t>(data[1]) | (static_cast<uint32_t>(data[2]) << 8) |
                     (static_cast<uint32_t>(data[3]) << 16) |
                     (static_cast<uint32_t>(data[4]) << 24);
    size_t n = std::min<size_t>(first, size - 5);
    fds.push_back(MemFd(data + 5, n));
    fds.push_back(MemFd(data + 5 + n, size - 5 - n));
  } else {
    fds.push_back(MemFd(data + 1, size - 1));
  }
  std::optional<pk::MergeTree> tree = Merge(fds);
  static const bool verbose = std::getenv("LAYER_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(
        stderr, "%zu layer(s): %s\n", fds.size(),
        tree ? ("merged, " + std::to_string(tree->entry_count()) + " paths").c_str() : "rejected");
  }
  if (tree) {
    CheckTree(*tree, fds.size());
    CheckImage(*tree, fds, pk::ImageFormat::kSquashfs);
    CheckImage(*tree, fds, pk::ImageFormat::kErofs);
  }
  for (int fd : fds) close(fd);
  return 0;
}
