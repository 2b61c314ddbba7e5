// ErofsWriter through PackImage: every image must pass erofs-utils' fsck.erofs, and the
// Linux erofs driver (loop mount) must show exactly the merged tree; squashfs packing of the
// same layers is the reference where both formats can store the data.

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/unique_handle.h"
#include "oci/pack/erofs_reader.h"
#include "oci/pack/erofs_writer.h"
#include "oci/pack/merge_tree.h"
#include "oci/pack/pack.h"
#include "oci/pack/squashfs_reader.h"
#include "oci/pack/test_layers.h"
#include "oci/pack/tree_compare.h"

namespace krata::oci::pack {
namespace {

using testing::Dir;
using testing::ExpectSameTree;
using testing::File;
using testing::Hardlink;
using testing::Opaque;
using testing::ScratchDir;
using testing::Symlink;
using testing::TarCompression;
using testing::TarMember;
using testing::Whiteout;
using testing::WriteLayer;

// One path as the kernel (or an extraction) shows it.
struct FsNode {
  EntryType type = EntryType::kRegular;
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;
  uint64_t ino = 0;
  uint64_t nlink = 0;
  uint64_t size = 0;
  uint32_t rdev_major = 0;
  uint32_t rdev_minor = 0;
  std::string data;
  std::string symlink_target;
  std::vector<Xattr> xattrs;  // sorted by name
};
using FsTree = std::map<std::string, FsNode>;

EntryType TypeOfMode(mode_t m) {
  if (S_ISDIR(m)) return EntryType::kDirectory;
  if (S_ISLNK(m)) return EntryType::kSymlink;
  if (S_ISCHR(m)) return EntryType::kCharDevice;
  if (S_ISBLK(m)) return EntryType::kBlockDevice;
  if (S_ISFIFO(m)) return EntryType::kFifo;
  if (S_ISSOCK(m)) return EntryType::kSocket;
  return EntryType::kRegular;
}

std::vector<Xattr> ReadXattrs(const std::string& path) {
  std::vector<Xattr> out;
  ssize_t n = llistxattr(path.c_str(), nullptr, 0);
  if (n <= 0) return out;
  std::string names(static_cast<size_t>(n), '\0');
  n = llistxattr(path.c_str(), names.data(), names.size());
  EXPECT_GT(n, 0) << path;
  for (size_t i = 0; i < static_cast<size_t>(std::max<ssize_t>(n, 0));) {
    std::string name(names.c_str() + i);
    i += name.size() + 1;
    ssize_t v = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    EXPECT_GE(v, 0) << path << " " << name;
    std::string value(static_cast<size_t>(std::max<ssize_t>(v, 0)), '\0');
    if (v > 0) {
      EXPECT_EQ(lgetxattr(path.c_str(), name.c_str(), value.data(), value.size()), v);
    }
    out.push_back({name, value});
  }
  std::sort(out.begin(), out.end(), [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
  return out;
}

// Walks a mounted or extracted tree: readdir lists, lstat looks every name up.
void Walk(const std::string& root, const std::string& rel, FsTree& out) {
  std::string path = rel.empty() ? root : root + "/" + rel;
  struct stat st {};
  ASSERT_EQ(lstat(path.c_str(), &st), 0) << path;
  FsNode& n = out[rel];
  n.type = TypeOfMode(st.st_mode);
  n.mode = st.st_mode & 07777;
  n.uid = st.st_uid;
  n.gid = st.st_gid;
  n.mtime = st.st_mtim.tv_sec;
  n.ino = st.st_ino;
  n.nlink = st.st_nlink;
  n.size = static_cast<uint64_t>(st.st_size);
  n.rdev_major = major(st.st_rdev);
  n.rdev_minor = minor(st.st_rdev);
  n.xattrs = ReadXattrs(path);
  if (n.type == EntryType::kRegular) {
    std::ifstream in(path, std::ios::binary);
    n.data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else if (n.type == EntryType::kSymlink) {
    std::string buf(8192, '\0');
    ssize_t len = readlink(path.c_str(), buf.data(), buf.size());
    ASSERT_GE(len, 0) << path;
    n.symlink_target = buf.substr(0, static_cast<size_t>(len));
  } else if (n.type == EntryType::kDirectory) {
    DIR* d = opendir(path.c_str());
    ASSERT_NE(d, nullptr) << path;
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(d);
    for (const std::string& name : names) Walk(root, rel.empty() ? name : rel + "/" + name, out);
  }
}

std::string RunCommand(const std::string& cmd, int* status) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    *status = -1;
    return {};
  }
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *status = pclose(p);
  return out;
}

// A read-only loop mount of an erofs image, unmounted on destruction.
class LoopMount {
 public:
  explicit LoopMount(std::string dir) : dir_(std::move(dir)) {}
  LoopMount(const LoopMount&) = delete;
  LoopMount& operator=(const LoopMount&) = delete;
  ~LoopMount() {
    int status = 0;
    std::string out = RunCommand("umount " + dir_, &status);
    EXPECT_EQ(status, 0) << out;
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// Mounts image on dir; false (with the reason) when this host cannot loop-mount erofs (not
// root, no loop devices, no erofs driver).
bool TryLoopMount(const std::string& image, const std::string& dir, std::string* why) {
  mkdir(dir.c_str(), 0755);
  int status = 0;
  *why = RunCommand("mount -t erofs -o loop,ro " + image + " " + dir, &status);
  return status == 0;
}

class ErofsTest : public ::testing::Test {
 protected:
  void AddLayer(const std::vector<TarMember>& members, TarCompression c = TarCompression::kNone) {
    std::string p = dir_.Sub("layer" + std::to_string(layers_.size()));
    WriteLayer(p, members, c);
    layers_.push_back(Layer{p});
  }
  PackResult Pack(ImageFormat format, const std::string& image) {
    PackOptions opt;
    opt.sync = false;
    opt.format = format;
    Result<PackResult> r = PackImage(layers_, image, opt);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r.has_value() ? *r : PackResult{};
  }
  // Packs erofs, checks it with fsck.erofs (and its extraction), mounts it and walks it.
  FsTree PackAndMount() {
    result_ = Pack(ImageFormat::kErofs, image_);
    Fsck(image_);
    Result<std::map<std::string, ImageNode>> read = ReadErofsTree(image_);
    EXPECT_TRUE(read.has_value()) << read.error().ToString();
    if (read.has_value()) {
      EXPECT_EQ(read->size(), result_.paths + 1);
    }
    std::string why;
    if (!TryLoopMount(image_, dir_.Sub("mnt"), &why)) {
      skip_reason_ = "cannot loop-mount erofs here (" + why + ")";
      return {};
    }
    mount_.emplace(dir_.Sub("mnt"));
    FsTree t;
    Walk(mount_->dir(), "", t);
    return t;
  }
  static void Fsck(const std::string& image) {
    int status = 0;
    std::string out = RunCommand("fsck.erofs " + image, &status);
    EXPECT_EQ(status, 0) << out;
    std::string dest = image + ".extract";
    out = RunCommand("fsck.erofs --extract=" + dest + " " + image, &status);
    EXPECT_EQ(status, 0) << out;
    std::filesystem::remove_all(dest);
  }
  static std::string Random(size_t n, uint32_t seed) {
    std::string s;
    s.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      seed = seed * 1103515245 + 12345;
      s.push_back(static_cast<char>(seed >> 24));
    }
    return s;
  }

  ScratchDir dir_;
  std::string image_ = dir_.Sub("image.erofs");
  std::vector<Layer> layers_;
  PackResult result_;
  std::optional<LoopMount> mount_;
  std::string skip_reason_;
};

#define SKIP_IF_NO_MOUNT() \
  if (!mount_) GTEST_SKIP() << skip_reason_

TEST_F(ErofsTest, FileSizesAroundBlocks) {
  std::string big = Random(5 << 20, 7);
  AddLayer({File("empty", ""), File("one", "1"), File("b4095", Random(4095, 1)),
            File("b4096", Random(4096, 2)), File("b4097", Random(4097, 3)), File("big", big),
            File("after-big", "tail")},
           TarCompression::kZstd);
  FsTree t = PackAndMount();
  EXPECT_EQ(result_.data_bytes, 1 + 4095 + 4096 + 4097 + big.size() + 4);
  struct stat st {};
  ASSERT_EQ(stat(image_.c_str(), &st), 0);
  EXPECT_EQ(st.st_size % 4096, 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), result_.image_bytes);
  SKIP_IF_NO_MOUNT();
  EXPECT_EQ(t["empty"].data, "");
  EXPECT_EQ(t["empty"].size, 0u);
  EXPECT_EQ(t["one"].data, "1");
  EXPECT_EQ(t["b4095"].data, Random(4095, 1));
  EXPECT_EQ(t["b4096"].data, Random(4096, 2));
  EXPECT_EQ(t["b4097"].data, Random(4097, 3));
  EXPECT_TRUE(t["big"].data == big);
  EXPECT_EQ(t["after-big"].data, "tail");
}

// Many entries (several directory blocks), names sorting before and around "." and "..",
// 255-byte and non-ASCII names: readdir must list all, and every lookup (the kernel's binary
// search over blocks, then within a block) must find each one.
TEST_F(ErofsTest, LargeDirectoryLookups) {
  std::vector<TarMember> members = {Dir("many")};
  std::set<std::string> names;
  for (int i = 0; i < 400; ++i) {
    names.insert("entry-with-a-longish-name-" + std::to_string(i * 7919));
  }
  for (const char* odd : {"!bang", "#hash", "+plus", "-dash", ",comma", ".hidden", "..dots", "...",
                          "\x01"
                          "ctl",
                          " space",
                          "\xff\xfe"
                          "raw",
                          "caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "Z", "a", "~"}) {
    names.insert(odd);
  }
  names.insert(std::string(255, 'x'));
  names.insert(std::string(254, 'y') + "z");
  for (const std::string& n : names) members.push_back(File("many/" + n, n));
  members.push_back(Dir("many/subdir"));
  AddLayer(members);
  FsTree t = PackAndMount();
  SKIP_IF_NO_MOUNT();
  size_t listed = 0;
  for (const auto& [path, node] : t) listed += path.starts_with("many/") ? 1 : 0;
  EXPECT_EQ(listed, names.size() + 1);
  for (const std::string& n : names) {
    struct stat st {};
    std::string p = mount_->dir() + "/many/" + n;
    ASSERT_EQ(lstat(p.c_str(), &st), 0) << n;
    EXPECT_EQ(t["many/" + n].data, n);
  }
  struct stat st {};
  EXPECT_NE(lstat((mount_->dir() + "/many/entry-missing").c_str(), &st), 0);
  EXPECT_NE(lstat((mount_->dir() + "/many/" + std::string(255, 'y')).c_str(), &st), 0);
  EXPECT_EQ(t["many"].nlink, 3u);  // ".", the parent's entry, subdir/..
}

// Directory sizes at the inline limit: 15 names of 255 bytes plus "." and ".." fill exactly
// the 4032 bytes beside the inode (inline tail), 16 need a second block (one full block plus
// an inline tail), and xattrs push a one-block directory out of line (plain layout).
TEST_F(ErofsTest, DirectoryTailEdges) {
  std::vector<TarMember> members;
  std::vector<std::string> paths;
  for (int n : {14, 15, 16, 31}) {
    std::string dir = "d" + std::to_string(n);
    members.push_back(Dir(dir));
    for (int i = 0; i < n; ++i) {
      paths.push_back(dir + "/" + std::string(253, static_cast<char>('a' + i % 26)) +
                      std::to_string(10 + i));
      members.push_back(File(paths.back(), std::to_string(i)));
    }
  }
  TarMember fat = Dir("fat");
  fat.xattrs = {{"user.fat", std::string(3000, 'f')}};
  members.push_back(fat);
  for (int i = 0; i < 5; ++i) {
    paths.push_back("fat/" + std::string(200, 'n') + std::to_string(10 + i));
    members.push_back(File(paths.back(), "x"));
  }
  AddLayer(members);
  FsTree t = PackAndMount();
  SKIP_IF_NO_MOUNT();
  EXPECT_EQ(t.size(), paths.size() + 6);
  for (const std::string& p : paths) {
    struct stat st {};
    EXPECT_EQ(lstat((mount_->dir() + "/" + p).c_str(), &st), 0) << p;
    EXPECT_EQ(t.count(p), 1u) << p;
  }
  EXPECT_EQ(t["fat"].xattrs, fat.xattrs);
}

TEST_F(ErofsTest, DeepTree) {
  std::vector<TarMember> members;
  std::string path;
  for (int i = 0; i < 200; ++i) {
    path += (path.empty() ? "" : "/") + std::string("d") + std::to_string(i % 10);
    members.push_back(Dir(path, 0700 + i % 8));
  }
  members.push_back(File(path + "/leaf", "deep"));
  AddLayer(members);
  FsTree t = PackAndMount();
  SKIP_IF_NO_MOUNT();
  EXPECT_EQ(t[path + "/leaf"].data, "deep");
  EXPECT_EQ(t.size(), 202u);
  EXPECT_EQ(t[path].mode, 0700u + 199 % 8);
}

TEST_F(ErofsTest, XattrsAndMetadataBeyondSquashfs) {
  // A minimal POSIX ACL (linux/posix_acl_xattr.h, version 2): user::rw- group::r-- other::r--.
  const std::string acl(
      "\x02\x00\x00\x00"
      "\x01\x00\x06\x00\xff\xff\xff\xff"
      "\x04\x00\x04\x00\xff\xff\xff\xff"
      "\x20\x00\x04\x00\xff\xff\xff\xff",
      28);
  TarMember f = File("f", "x");
  f.xattrs = {{"user.a", "1"},
              {"trusted.overlay.opaque", "y"},
              {"security.selinux", std::string("system_u:object_r:bin_t:s0\0", 27)},
              {"system.posix_acl_access", acl},
              {"user.empty", ""},
              {"other.ns", "dropped"}};
  TarMember big = File("bigx", "y");
  // More than a block of xattrs: the inode then starts a block and its xattrs span blocks.
  big.xattrs = {{"user.b1", std::string(3000, 'a')},
                {"user.b2", std::string(3000, 'b')},
                {"user.b3", std::string(3000, 'c')}};
  TarMember d = Dir("dir", 03775);
  d.xattrs = {{"system.posix_acl_default", acl}, {"user.d", "dir"}};
  TarMember future = File("future", "t");
  future.mtime = int64_t{1} << 34;  // past 2106: needs the 64-bit i_mtime
  TarMember owner = File("owner", "o", 06755);
  owner.uid = 100000;
  owner.gid = 4000000000u;
  // Symlink targets: inline after the inode when they fit its block, else in a block.
  TarMember blocked = Symlink("blocked-link", std::string(4000, 'B'));
  // (user.* is not readable on symlinks: the VFS answers ENODATA; trusted.* is.)
  blocked.xattrs = {{"trusted.pad", std::string(100, 'p')}};
  AddLayer({f, big, d, future, owner, Symlink("long-link", std::string(4000, 'L')), blocked,
            Symlink("short-link", "f")});
  FsTree t = PackAndMount();
  EXPECT_EQ(result_.xattrs_dropped, 1u);
  SKIP_IF_NO_MOUNT();
  std::vector<Xattr> want = f.xattrs;
  want.pop_back();
  std::sort(want.begin(), want.end(),
            [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
  EXPECT_EQ(t["f"].xattrs, want);
  EXPECT_EQ(t["bigx"].xattrs, big.xattrs);
  EXPECT_EQ(t["bigx"].data, "y");
  EXPECT_EQ(t["dir"].xattrs,
            (std::vector<Xattr>{{"system.posix_acl_default", acl}, {"user.d", "dir"}}));
  EXPECT_EQ(t["dir"].mode, 03775u);
  EXPECT_EQ(t["future"].mtime, int64_t{1} << 34);
  EXPECT_EQ(t["owner"].uid, 100000u);
  EXPECT_EQ(t["owner"].gid, 4000000000u);
  EXPECT_EQ(t["owner"].mode, 06755u);
  EXPECT_EQ(t["long-link"].symlink_target, std::string(4000, 'L'));
  EXPECT_EQ(t["short-link"].symlink_target, "f");
  EXPECT_EQ(t["blocked-link"].symlink_target, std::string(4000, 'B'));
  EXPECT_EQ(t["blocked-link"].xattrs, blocked.xattrs);
}

// The layers of pack_test's MultiLayerMerge: the mounted erofs image must equal the squashfs
// image of the same layers, path by path, and share inodes exactly where squashfs does.
TEST_F(ErofsTest, MatchesSquashfsOfSameLayers) {
  TarMember ping = File("usr/bin/ping", "ELF", 0755);
  // A valid vfs_cap_data v2 (cap_net_raw permitted, effective): the kernel checks it.
  ping.xattrs = {{"security.capability",
                  std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8) + std::string(12, '\0')},
                 {"user.comment", "hi"}};
  TarMember null;
  null.path = "dev/null";
  null.type = EntryType::kCharDevice;
  null.mode = 0666;
  null.major = 1;
  null.minor = 3;
  TarMember disk = null;
  disk.path = "dev/big";
  disk.type = EntryType::kBlockDevice;
  disk.major = 259;
  disk.minor = 70000;
  TarMember fifo;
  fifo.path = "run/fifo";
  fifo.type = EntryType::kFifo;
  fifo.mode = 0600;
  TarMember owned = Dir("home/user", 0700);
  owned.uid = 1000;
  owned.gid = 1000;
  owned.mtime = 42;
  AddLayer({Dir("etc"),
            File("etc/passwd", "root"),
            File("etc/shadow", "secret", 0640),
            Dir("var"),
            Dir("var/cache"),
            File("var/cache/a", "a"),
            File("var/cache/b", "b"),
            File("data", "first-name"),
            Hardlink("data2", "data"),
            Dir("replace-me"),
            File("replace-me/child", "c"),
            File("becomes-dir", "f"),
            ping,
            null,
            disk,
            fifo,
            owned,
            Dir("dev"),
            Dir("run"),
            Dir("tmp", 01777),
            File("bin/su", "#!", 04755)},
           TarCompression::kGzip);
  AddLayer({Whiteout("etc", "shadow"), Dir("var/cache"), Opaque("var/cache"),
            File("var/cache/c", "c"), Whiteout("", "data"), File("replace-me", "now a file"),
            Dir("becomes-dir"), File("becomes-dir/inner", "i"),
            File("caf\xc3\xa9/" + std::string(200, 'L'), "utf8"), File("big", Random(300000, 9))},
           TarCompression::kZstd);
  AddLayer({File("etc/passwd", "root3"), Hardlink("etc/passwd-link", "etc/passwd"),
            Hardlink("cache-link", "var/cache/c"), Hardlink("cache-link2", "var/cache/c"),
            Symlink("escape", "../../../../etc/shadow"), Dir("var", 02775)});

  std::string sqfs = dir_.Sub("image.sqfs");
  PackResult sq = Pack(ImageFormat::kSquashfs, sqfs);
  Result<std::map<std::string, ImageNode>> ref = ReadSquashfsTree(sqfs);
  ASSERT_TRUE(ref.has_value()) << ref.error().ToString();
  FsTree t = PackAndMount();
  EXPECT_EQ(result_.inodes, sq.inodes);
  EXPECT_EQ(result_.paths, sq.paths);
  EXPECT_EQ(result_.data_bytes, sq.data_bytes);
  // Our own reader (no mount needed) sees the same tree as libsquashfs.
  Result<std::map<std::string, ImageNode>> ours = ReadErofsTree(image_);
  ASSERT_TRUE(ours.has_value()) << ours.error().ToString();
  ExpectSameTree(*ours, *ref);
  SKIP_IF_NO_MOUNT();

  ASSERT_EQ(t.size(), ref->size());
  std::map<uint32_t, uint64_t> ino_of;  // squashfs inode number -> erofs st_ino
  std::set<uint64_t> inos;
  for (const auto& [path, want] : *ref) {
    SCOPED_TRACE(path);
    ASSERT_EQ(t.count(path), 1u);
    const FsNode& got = t[path];
    EXPECT_EQ(got.type, want.type);
    EXPECT_EQ(got.mode, want.mode);
    EXPECT_EQ(got.uid, want.uid);
    EXPECT_EQ(got.gid, want.gid);
    EXPECT_EQ(got.mtime, static_cast<int64_t>(want.mtime));
    EXPECT_EQ(got.nlink, want.nlink);
    EXPECT_EQ(got.data, want.data);
    EXPECT_EQ(got.symlink_target, want.symlink_target);
    EXPECT_EQ(got.xattrs, want.xattrs);
    if (want.type == EntryType::kCharDevice || want.type == EntryType::kBlockDevice) {
      EXPECT_EQ(got.rdev_major, want.rdev_major);
      EXPECT_EQ(got.rdev_minor, want.rdev_minor);
    }
    auto [it, fresh] = ino_of.emplace(want.inode_number, got.ino);
    EXPECT_EQ(it->second, got.ino);  // same squashfs inode -> same erofs inode
    if (fresh) {
      EXPECT_TRUE(inos.insert(got.ino).second);  // and distinct ones stay distinct
    }
  }
  EXPECT_EQ(t["cache-link"].nlink, 3u);
  EXPECT_EQ(t["tmp"].mode, 01777u);
  EXPECT_EQ(t["bin/su"].mode, 04755u);
}

TEST_F(ErofsTest, EmptyImage) {
  AddLayer({});
  FsTree t = PackAndMount();
  EXPECT_EQ(result_.inodes, 1u);
  SKIP_IF_NO_MOUNT();
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t[""].type, EntryType::kDirectory);
  EXPECT_EQ(t[""].nlink, 2u);
}

TEST(ImageFormatTest, NamesRoundTrip) {
  for (ImageFormat f : {ImageFormat::kSquashfs, ImageFormat::kErofs}) {
    EXPECT_EQ(ParseImageFormat(ImageFormatName(f)), f);
  }
  EXPECT_EQ(ParseImageFormat("ext4"), std::nullopt);
  EXPECT_EQ(ParseImageFormat("EROFS"), std::nullopt);
}

// The layer reader already rejects such numbers; the writer checks again on its own.
TEST(ErofsWriterTest, DeviceNumberTooLargeFails) {
  LayerEntry dev;
  dev.path = "huge";
  dev.type = EntryType::kCharDevice;
  dev.rdev_major = 5000;
  MergeTree tree;
  ASSERT_TRUE(tree.ApplyLayer(0, {dev}).has_value());
  tree.Freeze();
  ScratchDir dir;
  UniqueFd fd(open(dir.Sub("img").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd);
  Result<std::unique_ptr<ErofsWriter>> w = ErofsWriter::Create(fd.get(), {}, tree.inode_count());
  ASSERT_TRUE(w.has_value());
  Result<ImageStats> r = (*w)->Finish(tree);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("device number"), std::string::npos);
}

TEST(ErofsWriterTest, StreamingContractEnforced) {
  MergeTree tree;
  LayerEntry f;
  f.path = "f";
  f.size = 3;
  ASSERT_TRUE(tree.ApplyLayer(0, {f}).has_value());
  tree.Freeze();
  const Inode& inode = *tree.Find("f")->inode;
  ScratchDir dir;
  UniqueFd fd(open(dir.Sub("img").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd);
  auto make = [&] { return std::move(*ErofsWriter::Create(fd.get(), {}, tree.inode_count())); };
  {
    std::unique_ptr<ErofsWriter> w = make();
    EXPECT_FALSE(w->Append(AsBytes("x")).has_value());  // outside a file
    ASSERT_TRUE(w->BeginFile(inode).has_value());
    EXPECT_FALSE(w->BeginFile(inode).has_value());  // nested
    EXPECT_FALSE(w->Append(AsBytes("toolong")).has_value());
    ASSERT_TRUE(w->Append(AsBytes("ab")).has_value());
    EXPECT_FALSE(w->EndFile().has_value());  // one byte short
  }
  {
    std::unique_ptr<ErofsWriter> w = make();
    Result<ImageStats> r = w->Finish(tree);  // data never written
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().ToString().find("never written"), std::string::npos);
  }
}

}  // namespace
}  // namespace krata::oci::pack
