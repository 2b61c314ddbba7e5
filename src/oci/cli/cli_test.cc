// krata-oci against a real registry (tests/registry/start-registry.sh, docker-registry on
// 127.0.0.1): packs a three-layer image with whiteouts and an opaque directory and compares
// the squashfs, file by file, with what `umoci unpack` makes of the same image pulled by
// skopeo. Also: the cache (hit, concurrent packs, rm, gc), a tampered blob, and the binary.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "base/file.h"
#include "oci/cli/image_cache.h"
#include "oci/cli/pack_image.h"
#include "oci/pack/squashfs_reader.h"
#include "oci/resolve.h"

namespace krata::oci::cli {
namespace {

namespace fs = std::filesystem;

const std::string kSource = KRATA_SOURCE_DIR;
const std::string kScripts = kSource + "/tests/registry/";

// Runs cmd through the shell; returns (exit status, stdout).
std::pair<int, std::string> RunCmd(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, out};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

std::string MustRun(const std::string& cmd) {
  auto [rc, out] = RunCmd(cmd);
  EXPECT_EQ(rc, 0) << cmd << "\n" << out;
  return out;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// What the test compares of one file, from either side.
struct Node {
  pack::EntryType type;
  uint32_t mode, uid, gid, nlink;
  std::string data, target;
  std::vector<pack::Xattr> xattrs;
};

std::map<std::string, Node> FromSquashfs(const std::map<std::string, pack::ImageNode>& tree) {
  std::map<std::string, Node> out;
  for (const auto& [path, n] : tree) {
    out[path] = Node{n.type, n.mode, n.uid, n.gid, n.nlink, n.data, n.symlink_target, n.xattrs};
  }
  return out;
}

Node FromDisk(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  Node n{};
  n.mode = st.st_mode & 07777;
  n.uid = st.st_uid;
  n.gid = st.st_gid;
  n.nlink = static_cast<uint32_t>(st.st_nlink);
  if (S_ISDIR(st.st_mode)) {
    n.type = pack::EntryType::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    n.type = pack::EntryType::kSymlink;
    n.target = fs::read_symlink(p).string();
  } else if (S_ISREG(st.st_mode)) {
    n.type = pack::EntryType::kRegular;
    n.data = MUST(ReadFile(p.string()));
  } else {
    ADD_FAILURE() << "unexpected file type " << p;
  }
  char names[4096];
  ssize_t len = ::llistxattr(p.c_str(), names, sizeof names);
  for (ssize_t i = 0; i < len;) {
    std::string name(names + i);
    i += static_cast<ssize_t>(name.size()) + 1;
    char value[4096];
    ssize_t vlen = ::lgetxattr(p.c_str(), name.c_str(), value, sizeof value);
    if (vlen >= 0) n.xattrs.push_back({name, std::string(value, static_cast<size_t>(vlen))});
  }
  std::sort(n.xattrs.begin(), n.xattrs.end(),
            [](const pack::Xattr& a, const pack::Xattr& b) { return a.name < b.name; });
  return n;
}

std::map<std::string, Node> FromRootfs(const fs::path& root) {
  std::map<std::string, Node> out;
  out[""] = FromDisk(root);
  for (const fs::directory_entry& de : fs::recursive_directory_iterator(root)) {
    out[de.path().lexically_relative(root).string()] = FromDisk(de.path());
  }
  return out;
}

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fs::temp_directory_path() /
                         ("krata-ocicli-test-" + std::to_string(::getpid())));
    fs::create_directories(*root_);
    std::string out = MustRun("KRATA_REGISTRY_OWNER_PID=" + std::to_string(::getpid()) +
                              " KRATA_REGISTRY_PORT=" + std::to_string(FreePort()) + " " +
                              kScripts + "start-registry.sh " + (*root_ / "registry").string());
    host_ = new std::string("127.0.0.1:" + std::to_string(std::atoi(out.c_str())));
    MustRun(kSource + "/src/oci/cli/testdata/make-layered-image.sh " + (*root_ / "img").string() +
            " " + *host_ + "/test/layered:v1 2>&1");
    MustRun(kScripts + "make-image.sh " + (*root_ / "img2").string() + " " + *host_ +
            "/test/tamper:v1 2>&1");
  }
  static void TearDownTestSuite() {
    MustRun(kScripts + "stop-registry.sh " + (*root_ / "registry").string());
    fs::remove_all(*root_);
    delete root_;
    delete host_;
  }

  static PackRequest Request(const std::string& repo, const std::string& store,
                             const std::string& output) {
    PackRequest r;
    r.source = "docker://" + *host_ + "/" + repo;
    r.output = (*root_ / output).string();
    r.store = (*root_ / store).string();
    r.remote.tls_verify = false;
    return r;
  }
  static size_t CountFiles(const fs::path& dir) {
    std::error_code ec;
    size_t n = 0;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it); ++it) ++n;
    return n;
  }

  static fs::path* root_;
  static std::string* host_;
};

fs::path* CliTest::root_ = nullptr;
std::string* CliTest::host_ = nullptr;

TEST_F(CliTest, PackMatchesUmociUnpack) {
  PackRequest req = Request("test/layered:v1", "store-cmp", "cmp.sqfs");
  Result<PackOutcome> r = PackImage(req);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->layers_downloaded, 3u);
  auto tree = pack::ReadSquashfsTree(req.output);
  ASSERT_TRUE(tree.has_value()) << tree.error().ToString();
  std::map<std::string, Node> packed = FromSquashfs(*tree);

  fs::path pulled = *root_ / "pulled";
  MustRun("skopeo --policy " + (*root_ / "img/policy.json").string() +
          " copy -q --src-tls-verify=false docker://" + *host_ +
          "/test/layered:v1 oci:" + pulled.string() + ":img 2>&1");
  fs::path bundle = *root_ / "bundle";
  MustRun("umoci unpack --image " + pulled.string() + ":img " + bundle.string() + " 2>&1");
  std::map<std::string, Node> unpacked = FromRootfs(bundle / "rootfs");

  // The merge semantics, independent of umoci: replaced, whited out, opaque.
  ASSERT_TRUE(packed.contains("etc/a"));
  EXPECT_EQ(packed["etc/a"].data, "a v2\n");
  EXPECT_FALSE(packed.contains("etc/b"));
  EXPECT_FALSE(packed.contains("opt/gone"));
  EXPECT_TRUE(packed.contains("opt"));
  EXPECT_FALSE(packed.contains("var/data/old"));
  EXPECT_EQ(packed["var/data/new/file"].data, "fresh\n");
  EXPECT_EQ(packed["etc/owned"].uid, 1234u);
  EXPECT_EQ(packed["etc/owned"].xattrs.size(), 1u);
  EXPECT_EQ(packed["bin/tool"].mode, 04755u);
  EXPECT_EQ(tree->at("bin/tool").inode_number, tree->at("bin/tool-link").inode_number);

  std::vector<std::string> packed_paths, unpacked_paths;
  for (const auto& [p, n] : packed) packed_paths.push_back(p);
  for (const auto& [p, n] : unpacked) unpacked_paths.push_back(p);
  ASSERT_EQ(packed_paths, unpacked_paths);
  for (const auto& [path, want] : unpacked) {
    const Node& got = packed[path];
    SCOPED_TRACE("path \"" + path + "\"");
    EXPECT_EQ(got.type, want.type);
    EXPECT_EQ(got.mode, want.mode);
    EXPECT_EQ(got.uid, want.uid);
    EXPECT_EQ(got.gid, want.gid);
    EXPECT_EQ(got.data.size(), want.data.size());
    EXPECT_TRUE(got.data == want.data);
    EXPECT_EQ(got.target, want.target);
    EXPECT_EQ(got.xattrs, want.xattrs);
    if (want.type == pack::EntryType::kRegular) {
      EXPECT_EQ(got.nlink, want.nlink);
    }
  }
}

TEST_F(CliTest, SecondPackIsServedFromTheCache) {
  PackRequest a = Request("test/layered:v1", "store-hit", "hit1.sqfs");
  Result<PackOutcome> first = PackImage(a);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_FALSE(first->cache_hit);
  EXPECT_GT(first->layers_downloaded, 0u);
  PackRequest b = Request("test/layered:v1", "store-hit", "hit2.sqfs");
  Result<PackOutcome> second = PackImage(b);
  ASSERT_TRUE(second.has_value()) << second.error().ToString();
  EXPECT_TRUE(second->cache_hit);
  EXPECT_EQ(second->layers_downloaded, 0u);
  EXPECT_EQ(MUST(ReadFile(a.output)), MUST(ReadFile(b.output)));

  ImageCache cache(a.store);
  auto entries = MUST(cache.List());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].digest, first->manifest_digest);
  EXPECT_EQ(entries[0].format, "squashfs");
  EXPECT_EQ(entries[0].reference, *host_ + "/test/layered:v1");
  EXPECT_EQ(entries[0].platform, "linux/amd64");
  EXPECT_EQ(entries[0].size, fs::file_size(b.output));
  // OUTPUT is its own file, not a link to the entry.
  EXPECT_NE(fs::hard_link_count(entries[0].path), 2u);
  fs::remove(b.output);
  EXPECT_TRUE(fs::exists(entries[0].path));
  EXPECT_EQ(CountFiles(a.store + "/tmp"), 0u);  // layer downloads removed
}

TEST_F(CliTest, ConcurrentPacksMakeOneEntry) {
  PackRequest a = Request("test/layered:v1", "store-conc", "conc1.sqfs");
  PackRequest b = Request("test/layered:v1", "store-conc", "conc2.sqfs");
  Result<PackOutcome> ra = Error::Invalid("test", "not run");
  Result<PackOutcome> rb = Error::Invalid("test", "not run");
  std::thread ta([&] { ra = PackImage(a); });
  std::thread tb([&] { rb = PackImage(b); });
  ta.join();
  tb.join();
  ASSERT_TRUE(ra.has_value()) << ra.error().ToString();
  ASSERT_TRUE(rb.has_value()) << rb.error().ToString();
  EXPECT_EQ(int{ra->cache_hit} + int{rb->cache_hit}, 1);
  EXPECT_EQ(MUST(ReadFile(a.output)), MUST(ReadFile(b.output)));
  EXPECT_EQ(MUST(ImageCache(a.store).List()).size(), 1u);
}

TEST_F(CliTest, TamperedBlobLeavesNothing) {
  PackRequest req = Request("test/tamper:v1", "store-tamper", "tamper.sqfs");
  DockerReference ref = MUST(ParseDockerReference(*host_ + "/test/tamper:v1"));
  auto client = MUST(ConnectRegistry(ref, false, CredentialSources{}));
  ResolvedImage image = MUST(ResolveImage(*client, ref, DefaultPlatform()));
  const Descriptor* biggest = &image.layers()[0];
  for (const Descriptor& d : image.layers()) {
    if (d.size > biggest->size) biggest = &d;
  }
  fs::path blob = *root_ / "registry/storage/docker/registry/v2/blobs" /
                  std::string(biggest->digest.algorithm_name()) /
                  biggest->digest.hex().substr(0, 2) / biggest->digest.hex() / "data";
  std::string bytes = MUST(ReadFile(blob.string()));
  bytes[bytes.size() / 2] ^= 0x55;
  std::ofstream(blob, std::ios::binary | std::ios::trunc) << bytes;

  Result<PackOutcome> r = PackImage(req);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("digest"), std::string::npos) << r.error().ToString();
  EXPECT_FALSE(fs::exists(req.output));
  EXPECT_TRUE(MUST(ImageCache(req.store).List()).empty());
  EXPECT_EQ(CountFiles(req.store + "/tmp"), 0u);
  for (const auto& de : fs::directory_iterator(req.store + "/cache/image")) {
    EXPECT_TRUE(de.path().string().ends_with(".lock")) << de.path();
  }
}

TEST_F(CliTest, CacheRmAndGc) {
  PackRequest req = Request("test/layered:v1", "store-gc", "gc.sqfs");
  Result<PackOutcome> r = PackImage(req);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ImageCache cache(req.store);
  std::string entry = cache.ImagePath(r->manifest_digest, "squashfs");
  Digest other = MUST(Digest::Parse("sha256:" + std::string(64, 'a')));
  std::string orphan = cache.ImagePath(other, "squashfs");
  std::ofstream(entry + ".tmp-abc123") << "half";
  std::ofstream(orphan + ".json") << "{}";
  std::ofstream(orphan + ".lock") << "";
  std::ofstream(orphan + ".tmp-xyz") << "half";
  fs::create_directories(req.store + "/tmp/pack-stale1");
  std::ofstream(req.store + "/tmp/pack-stale1/layer-0") << "x";

  // A work directory in use is kept.
  ImageCache::WorkDir busy = MUST(cache.MakeWorkDir());
  GcResult gc = MUST(cache.Gc());
  EXPECT_EQ(gc.temp_files, 3u);
  EXPECT_EQ(gc.metadata, 1u);
  EXPECT_EQ(gc.locks, 1u);
  EXPECT_TRUE(fs::exists(busy.path));
  EXPECT_FALSE(fs::exists(entry + ".tmp-abc123"));
  EXPECT_FALSE(fs::exists(orphan + ".json"));
  EXPECT_FALSE(fs::exists(req.store + "/tmp/pack-stale1"));
  EXPECT_TRUE(fs::exists(entry));
  EXPECT_TRUE(fs::exists(cache.MetaPath(r->manifest_digest, "squashfs")));

  EXPECT_EQ(MUST(cache.Remove(r->manifest_digest)), 1);
  EXPECT_FALSE(fs::exists(entry));
  EXPECT_TRUE(MUST(cache.List()).empty());
  EXPECT_FALSE(cache.Remove(r->manifest_digest).has_value());
}

TEST_F(CliTest, Binary) {
  const std::string bin = KRATA_OCI_BINARY;
  std::string store = (*root_ / "store-bin").string();
  std::string out = (*root_ / "bin.sqfs").string();
  std::string src = "docker://" + *host_ + "/test/layered:v1";
  auto [rc, text] =
      RunCmd(bin + " pack --tls-verify=false --store " + store + " " + src + " " + out + " 2>&1");
  ASSERT_EQ(rc, 0) << text;
  EXPECT_EQ(text, "");  // stderr is not a terminal: quiet
  auto tree = pack::ReadSquashfsTree(out);
  ASSERT_TRUE(tree.has_value()) << tree.error().ToString();
  EXPECT_EQ(tree->at("etc/a").data, "a v2\n");

  auto [irc, json] = RunCmd(bin + " inspect --tls-verify=false " + src);
  ASSERT_EQ(irc, 0) << json;
  auto entries = MUST(ImageCache(store).List());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_NE(json.find(entries[0].digest.ToString()), std::string::npos) << json;

  auto [lrc, list] = RunCmd(bin + " cache list --store " + store);
  EXPECT_EQ(lrc, 0);
  EXPECT_NE(list.find(entries[0].digest.ToString()), std::string::npos) << list;
  EXPECT_EQ(RunCmd(bin + " cache rm --store " + store + " " + entries[0].digest.ToString()).first,
            0);
  EXPECT_TRUE(MUST(ImageCache(store).List()).empty());

  auto [erc, err] = RunCmd(bin + " pack --format erofs " + src + " " + out + ".e 2>&1");
  EXPECT_EQ(erc, 1);
  EXPECT_EQ(err, "krata-oci: pack: format erofs not supported yet\n");
  EXPECT_EQ(RunCmd(bin + " pack 2>/dev/null").first, 2);
  EXPECT_EQ(RunCmd(bin + " bogus 2>/dev/null").first, 2);
  auto [trc, terr] =
      RunCmd(bin + " pack --store " + store + " oci:/nonexistent " + out + ".o 2>&1");
  EXPECT_EQ(trc, 1);
  EXPECT_NE(terr.find("not supported yet"), std::string::npos) << terr;
  EXPECT_FALSE(fs::exists(out + ".o"));
}

}  // namespace
}  // namespace krata::oci::cli
