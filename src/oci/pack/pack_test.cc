#include "oci/pack/pack.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "oci/pack/squashfs_reader.h"
#include "oci/pack/test_layers.h"

namespace krata::oci::pack {
namespace {

using testing::Dir;
using testing::File;
using testing::Hardlink;
using testing::Opaque;
using testing::ScratchDir;
using testing::Symlink;
using testing::TarCompression;
using testing::TarMember;
using testing::Whiteout;
using testing::WriteLayer;
using Tree = std::map<std::string, ImageNode>;

class PackTest : public ::testing::Test {
 protected:
  std::string AddLayer(const std::vector<TarMember>& members,
                       TarCompression c = TarCompression::kNone) {
    std::string p = dir_.Sub("layer" + std::to_string(layers_.size()));
    WriteLayer(p, members, c);
    layers_.push_back(Layer{p});
    return p;
  }
  Result<PackResult> Pack() {
    PackOptions opt;
    opt.sync = false;
    return PackSquashfs(layers_, image_, opt);
  }
  Tree PackAndRead() {
    Result<PackResult> r = Pack();
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    if (!r.has_value()) return {};
    Result<Tree> t = ReadSquashfsTree(image_);
    EXPECT_TRUE(t.has_value()) << t.error().ToString();
    return t.has_value() ? *t : Tree{};
  }
  std::vector<std::string> DirEntries() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      out.push_back(e.path().filename());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  ScratchDir dir_;
  std::string image_ = dir_.Sub("image.sqfs");
  std::vector<Layer> layers_;
};

std::vector<std::string> Paths(const Tree& t) {
  std::vector<std::string> out;
  for (const auto& [p, n] : t) out.push_back(p);
  return out;
}

TEST_F(PackTest, SingleLayerRoundTrip) {
  TarMember exe = File("bin/su", "#!/bin/sh\n", 04755);
  exe.uid = 1000;
  exe.gid = 2000;
  exe.mtime = 1234567890;
  AddLayer({Dir("bin"), exe, Symlink("bin/sh", "/bin/busybox"), Dir("tmp", 01777),
            File("big", std::string(300000, 'q'))});
  Tree t = PackAndRead();
  EXPECT_EQ(Paths(t), (std::vector<std::string>{"", "big", "bin", "bin/sh", "bin/su", "tmp"}));
  const ImageNode& su = t["bin/su"];
  EXPECT_EQ(su.type, EntryType::kRegular);
  EXPECT_EQ(su.mode, 04755u);
  EXPECT_EQ(su.uid, 1000u);
  EXPECT_EQ(su.gid, 2000u);
  EXPECT_EQ(su.mtime, 1234567890u);
  EXPECT_EQ(su.data, "#!/bin/sh\n");
  EXPECT_EQ(t["bin/sh"].type, EntryType::kSymlink);
  EXPECT_EQ(t["bin/sh"].symlink_target, "/bin/busybox");
  EXPECT_EQ(t["tmp"].mode, 01777u);
  EXPECT_EQ(t["tmp"].type, EntryType::kDirectory);
  EXPECT_EQ(t["big"].data, std::string(300000, 'q'));
  EXPECT_EQ(t[""].type, EntryType::kDirectory);
  EXPECT_EQ(t[""].nlink, 4u);  // ".", "..", bin/.., tmp/..
  // Only the image remains next to the layers: no temporary file left behind.
  EXPECT_EQ(DirEntries(), (std::vector<std::string>{"image.sqfs", "layer0"}));
}

// Layers exercising every merge rule at once; checked path by path.
TEST_F(PackTest, MultiLayerMerge) {
  const std::string long_name = std::string(200, 'L') + "\xe6\x97\xa5\xe6\x9c\xac";
  TarMember ping = File("usr/bin/ping", "ELF", 0755);
  ping.xattrs = {{"security.capability", std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8)},
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
  disk.minor = 70000;  // needs the 20-bit minor encoding
  TarMember fifo;
  fifo.path = "run/fifo";
  fifo.type = EntryType::kFifo;
  fifo.mode = 0600;
  TarMember owned = Dir("home/user", 0700);
  owned.uid = 1000;
  owned.gid = 1000;
  owned.mtime = 42;

  AddLayer({Dir("etc"), File("etc/passwd", "root"), File("etc/shadow", "secret", 0640), Dir("var"),
            Dir("var/cache"), File("var/cache/a", "a"), File("var/cache/b", "b"),
            File("data", "first-name"), Hardlink("data2", "data"), Dir("replace-me"),
            File("replace-me/child", "c"), File("becomes-dir", "f"), ping, null, disk, fifo, owned,
            Dir("dev"), Dir("run")},
           TarCompression::kGzip);
  AddLayer(
      {Whiteout("etc", "shadow"), Dir("var/cache"), Opaque("var/cache"), File("var/cache/c", "c"),
       Whiteout("", "data"), File("replace-me", "now a file"), Dir("becomes-dir"),
       File("becomes-dir/inner", "i"), File("caf\xc3\xa9/" + long_name, "utf8"),
       File("/abs/path", "abs"), File("./dot/path", "dot")},
      TarCompression::kZstd);
  AddLayer({File("etc/passwd", "root2"), File("etc/passwd", "root3"),  // last wins
            Hardlink("etc/passwd-link", "etc/passwd"), Hardlink("cache-link", "var/cache/c"),
            Symlink("escape", "../../../../etc/shadow"), Dir("var", 02775)});

  Tree t = PackAndRead();
  // clang-format off
  const std::vector<std::string> expected = {
      "", "abs", "abs/path", "becomes-dir", "becomes-dir/inner", "cache-link", "caf\xc3\xa9",
      "caf\xc3\xa9/" + long_name, "data2", "dev", "dev/big", "dev/null", "dot", "dot/path",
      "escape", "etc", "etc/passwd", "etc/passwd-link", "home", "home/user", "replace-me", "run",
      "run/fifo", "usr", "usr/bin", "usr/bin/ping", "var", "var/cache", "var/cache/c"};
  // clang-format on
  EXPECT_EQ(Paths(t), expected);
  EXPECT_EQ(t["data2"].data, "first-name");  // data kept although "data" was whited out
  EXPECT_EQ(t["data2"].nlink, 1u);
  EXPECT_EQ(t["etc/passwd"].data, "root3");
  EXPECT_EQ(t["etc/passwd"].inode_number, t["etc/passwd-link"].inode_number);
  EXPECT_EQ(t["etc/passwd"].nlink, 2u);
  EXPECT_EQ(t["etc/passwd-link"].data, "root3");
  EXPECT_EQ(t["replace-me"].type, EntryType::kRegular);
  EXPECT_EQ(t["replace-me"].data, "now a file");
  EXPECT_EQ(t["becomes-dir"].type, EntryType::kDirectory);
  EXPECT_EQ(t["var/cache/c"].data, "c");
  // A link in layer 2 to data from layer 1 shares the inode.
  EXPECT_EQ(t["cache-link"].inode_number, t["var/cache/c"].inode_number);
  EXPECT_EQ(t["cache-link"].data, "c");
  // Symlinks are data: any target is stored verbatim and never followed.
  EXPECT_EQ(t["escape"].symlink_target, "../../../../etc/shadow");
  EXPECT_EQ(t["var"].mode, 02775u);  // setgid directory, metadata from the top layer
  EXPECT_EQ(t["caf\xc3\xa9/" + long_name].data, "utf8");
  EXPECT_EQ(t["abs/path"].data, "abs");
  EXPECT_EQ(t["dot/path"].data, "dot");
  EXPECT_EQ(t["usr/bin/ping"].xattrs, ping.xattrs);
  EXPECT_EQ(t["usr/bin/ping"].data, "ELF");
  EXPECT_EQ(t["dev/null"].type, EntryType::kCharDevice);
  EXPECT_EQ(t["dev/null"].rdev_major, 1u);
  EXPECT_EQ(t["dev/null"].rdev_minor, 3u);
  EXPECT_EQ(t["dev/null"].mode, 0666u);
  EXPECT_EQ(t["dev/big"].type, EntryType::kBlockDevice);
  EXPECT_EQ(t["dev/big"].rdev_major, 259u);
  EXPECT_EQ(t["dev/big"].rdev_minor, 70000u);
  EXPECT_EQ(t["run/fifo"].type, EntryType::kFifo);
  EXPECT_EQ(t["run/fifo"].mode, 0600u);
  EXPECT_EQ(t["home/user"].uid, 1000u);
  EXPECT_EQ(t["home/user"].gid, 1000u);
  EXPECT_EQ(t["home/user"].mtime, 42u);
  EXPECT_EQ(t["home/user"].mode, 0700u);
  EXPECT_EQ(t["usr"].mode, 0755u);  // implicit parent
  EXPECT_EQ(t["usr"].mtime, 0u);
}

TEST_F(PackTest, UstarLayerWithRawByteNames) {
  std::string p = dir_.Sub("ustar");
  WriteLayer(p, {File("raw\xff\xfe", "bytes"), Dir("d", 02755)}, TarCompression::kNone,
             /*pax=*/false);
  layers_.push_back(Layer{p, LayerFormat::kTar});
  Tree t = PackAndRead();
  EXPECT_EQ(Paths(t), (std::vector<std::string>{"", "d", "raw\xff\xfe"}));
  EXPECT_EQ(t["raw\xff\xfe"].data, "bytes");
  EXPECT_EQ(t["d"].mode, 02755u);
}

TEST_F(PackTest, RootEntrySetsRootMetadata) {
  TarMember root = Dir("./", 0750);
  root.uid = 7;
  root.xattrs = {{"user.root", "yes"}};
  AddLayer({root, File("f", "x")});
  Tree t = PackAndRead();
  EXPECT_EQ(t[""].mode, 0750u);
  EXPECT_EQ(t[""].uid, 7u);
  EXPECT_EQ(t[""].xattrs, root.xattrs);
}

TEST_F(PackTest, EmptyFilesAndEmptyLayers) {
  AddLayer({File("empty", ""), Hardlink("empty2", "empty")});
  AddLayer({});
  std::string zero = dir_.Sub("zero-bytes");
  { std::ofstream(zero, std::ios::binary); }
  layers_.push_back(Layer{zero});
  Tree t = PackAndRead();
  EXPECT_EQ(Paths(t), (std::vector<std::string>{"", "empty", "empty2"}));
  EXPECT_EQ(t["empty"].data, "");
  EXPECT_EQ(t["empty"].nlink, 2u);
}

TEST_F(PackTest, ConsumeLayersDeletesThemAsPass2Ends) {
  AddLayer({File("a", std::string(100000, 'a')), File("gone", "x")});
  AddLayer({File("b", "b"), Whiteout("", "gone")});
  PackOptions opt;
  opt.sync = false;
  opt.consume_layers = true;
  Result<PackResult> r = PackSquashfs(layers_, image_, opt);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(DirEntries(), (std::vector<std::string>{"image.sqfs"}));
  Tree t = MUST(ReadSquashfsTree(image_));
  EXPECT_EQ(t["a"].data, std::string(100000, 'a'));
  EXPECT_EQ(t["b"].data, "b");
  EXPECT_FALSE(t.contains("gone"));
}

TEST_F(PackTest, ZstdWithALevelRoundTrips) {
  AddLayer({File("text", std::string(500000, 't')), File("small", "s")});
  PackOptions opt;
  opt.sync = false;
  opt.squashfs.compressor = SquashfsCompressor::kZstd;
  opt.squashfs.level = 3;
  opt.squashfs.workers = 2;
  Result<PackResult> r = PackSquashfs(layers_, image_, opt);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_LT(r->image_bytes, 100000u);  // compressed
  Tree t = MUST(ReadSquashfsTree(image_));
  EXPECT_EQ(t["text"].data, std::string(500000, 't'));
  EXPECT_EQ(t["small"].data, "s");
}

TEST_F(PackTest, LargeFilesStreamAcrossBlocks) {
  std::string big;
  uint32_t x = 12345;
  for (int i = 0; i < (3 << 20); ++i) {
    x = x * 1103515245 + 12345;
    big.push_back(static_cast<char>(x >> 24));
  }
  AddLayer({File("random", big), File("tail", big.substr(0, 1000))}, TarCompression::kGzip);
  PackOptions opt;
  opt.sync = false;
  opt.squashfs.compressor = SquashfsCompressor::kZstd;
  opt.squashfs.workers = 2;
  Result<PackResult> r = PackSquashfs(layers_, image_, opt);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->data_bytes, big.size() + 1000);
  Result<Tree> t = ReadSquashfsTree(image_);
  ASSERT_TRUE(t.has_value()) << t.error().ToString();
  EXPECT_TRUE((*t)["random"].data == big);
  EXPECT_EQ((*t)["tail"].data, big.substr(0, 1000));
}

TEST_F(PackTest, ProgressReportsEveryLayerAndPhase) {
  AddLayer({File("a", "1")});
  AddLayer({File("b", "2")});
  std::vector<PackProgress> seen;
  PackOptions opt;
  opt.sync = false;
  Result<PackResult> r =
      PackSquashfs(layers_, image_, opt, [&](const PackProgress& p) { seen.push_back(p); });
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().phase, PackPhase::kDone);
  EXPECT_EQ(seen.back().data_bytes, 2u);
  bool scanned_1 = false;
  bool data_1 = false;
  for (const PackProgress& p : seen) {
    EXPECT_EQ(p.layer_count, 2u);
    if (p.phase == PackPhase::kScan && p.layer == 1 && p.entries == 1) {
      scanned_1 = p.layer_bytes_read == p.layer_bytes_total;
    }
    if (p.phase == PackPhase::kData && p.layer == 1 && p.entries == 1) data_1 = true;
  }
  EXPECT_TRUE(scanned_1);
  EXPECT_TRUE(data_1);
}

TEST_F(PackTest, ReplacesExistingOutput) {
  { std::ofstream(image_) << "old"; }
  AddLayer({File("a", "1")});
  Tree t = PackAndRead();
  EXPECT_EQ(t["a"].data, "1");
  struct stat st {};
  ASSERT_EQ(stat(image_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(st.st_size % 4096, 0);
}

// A second implementation (squashfs-tools) must accept the image too.
TEST_F(PackTest, UnsquashfsAgrees) {
  if (access("/usr/bin/unsquashfs", X_OK) != 0) GTEST_SKIP() << "unsquashfs not installed";
  TarMember s = File("bin/su", "x", 04755);
  s.uid = 3;
  AddLayer({s, Symlink("link", "bin/su"), Hardlink("bin/su2", "bin/su")});
  ASSERT_FALSE(PackAndRead().empty());
  std::string cmd = "unsquashfs -lln " + image_ + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << out;
  EXPECT_NE(out.find("-rwsr-xr-x 3/0"), std::string::npos) << out;
  EXPECT_NE(out.find("squashfs-root/link -> bin/su"), std::string::npos) << out;
  EXPECT_NE(out.find("squashfs-root/bin/su2"), std::string::npos) << out;
  std::string dest = dir_.Sub("extract");
  ASSERT_EQ(std::system(("unsquashfs -q -n -d " + dest + " " + image_ + " >/dev/null").c_str()), 0);
  struct stat a {
  }, b{};
  ASSERT_EQ(stat((dest + "/bin/su").c_str(), &a), 0);
  ASSERT_EQ(stat((dest + "/bin/su2").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);  // unsquashfs recreates the hardlink
  EXPECT_EQ(a.st_nlink, 2u);
}

// Hostile input: the pack fails, names what failed and leaves no file behind.
class HostilePackTest : public PackTest {
 protected:
  void ExpectRejected(const std::string& needle) {
    Result<PackResult> r = Pack();
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().ToString().find(needle), std::string::npos) << r.error().ToString();
    std::vector<std::string> files = DirEntries();
    for (const std::string& f : files) EXPECT_EQ(f.find("image"), std::string::npos) << f;
  }
};

TEST_F(HostilePackTest, DotDotEscape) {
  AddLayer({File("a/../../etc/passwd", "x")});
  ExpectRejected("escapes the root");
}

TEST_F(HostilePackTest, HardlinkEscapeAndMissingTarget) {
  AddLayer({Hardlink("x", "../../etc/shadow")});
  ExpectRejected("escapes the root");
  layers_.clear();
  AddLayer({Hardlink("x", "nowhere")});
  ExpectRejected("does not exist");
}

TEST_F(HostilePackTest, WriteThroughSymlinkRefused) {
  AddLayer({Symlink("evil", "/etc")});
  AddLayer({File("evil/passwd", "pwned")});
  ExpectRejected("is a symlink");
}

TEST_F(HostilePackTest, SymlinkRootRefused) {
  AddLayer({Symlink(".", "/")});
  ExpectRejected("root entry");
}

TEST_F(HostilePackTest, BadWhiteoutVictims) {
  for (const char* name : {".wh.", ".wh..", ".wh..."}) {
    layers_.clear();
    AddLayer({File("etc/ok", "1")});
    AddLayer({File(std::string("etc/") + name, "")});
    ExpectRejected("no valid victim");
  }
}

TEST_F(HostilePackTest, TruncatedLayer) {
  std::string p = AddLayer({File("big", std::string(100000, 'x'))});
  ASSERT_EQ(truncate(p.c_str(), 20000), 0);  // size field now exceeds the stream
  ExpectRejected("layer 0");
}

TEST_F(HostilePackTest, TruncatedCompressedLayer) {
  std::string p = AddLayer({File("big", std::string(100000, 'x'))}, TarCompression::kGzip);
  struct stat st {};
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  ASSERT_EQ(truncate(p.c_str(), st.st_size / 2), 0);
  ExpectRejected("layer 0");
}

TEST_F(HostilePackTest, GarbageLayer) {
  std::string p = dir_.Sub("garbage");
  std::ofstream(p) << std::string(5000, 'G');
  layers_.push_back(Layer{p});
  ExpectRejected("layer 0");
}

TEST_F(HostilePackTest, FormatMismatch) {
  std::string p = AddLayer({File("a", "1")}, TarCompression::kGzip);
  layers_.back().format = LayerFormat::kTarZstd;
  ExpectRejected("compression does not match");
  layers_.back().format = LayerFormat::kTarGzip;
  EXPECT_TRUE(Pack().has_value());
}

TEST_F(HostilePackTest, EntryLimit) {
  AddLayer({File("a", "1"), File("b", "2"), File("c", "3")});
  PackOptions opt;
  opt.sync = false;
  opt.max_entries = 2;
  Result<PackResult> r = PackSquashfs(layers_, image_, opt);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("too many"), std::string::npos);
}

TEST_F(HostilePackTest, MissingLayerFile) {
  layers_.push_back(Layer{dir_.Sub("nope")});
  ExpectRejected("nope");
}

}  // namespace
}  // namespace krata::oci::pack
