// krata-oci against a real registry (tests/registry/start-registry.sh, docker-registry on
// 127.0.0.1): packs a three-layer image with whiteouts and an opaque directory and compares
// the squashfs, file by file, with what `umoci unpack` makes of the same image pulled by
// skopeo. Also: the cache (hit, concurrent packs, rm, gc), a tampered blob, the binary, local
// sources (oci:, oci-archive:, docker-archive: made by skopeo) and registry credentials.

#include <gtest/gtest.h>
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
#include "oci/pack/erofs_reader.h"
#include "oci/pack/squashfs_reader.h"
#include "oci/pack/tree_compare.h"
#include "oci/resolve.h"
#include "oci/test_registry.h"

namespace krata::oci::cli {
namespace {

namespace fs = std::filesystem;

const std::string kSource = KRATA_SOURCE_DIR;
const std::string kScripts = testing::ScriptsDir();
using testing::MustRun;
using testing::RunCmd;

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
    anon_ = new testing::TestRegistry;
    auth_ = new testing::TestRegistry;
    anon_->Start(*root_ / "registry");
    auth_->Start(*root_ / "registry-auth", "alice", "s3cret");
    anon_->Wait();
    auth_->Wait();
    host_ = new std::string(anon_->host());
    const std::string layered = kSource + "/src/oci/cli/testdata/make-layered-image.sh ";
    testing::Shell a(layered + (*root_ / "img").string() + " " + *host_ + "/test/layered:v1 2>&1");
    testing::Shell b(layered + (*root_ / "img-auth").string() + " " + auth_->host() +
                     "/private/layered:v1 alice:s3cret 2>&1");
    testing::Shell c(kScripts + "make-image.sh " + (*root_ / "img2").string() + " " + *host_ +
                     "/test/tamper:v1 2>&1");
    a.Wait();
    b.Wait();
    c.Wait();
  }
  static void TearDownTestSuite() {
    anon_->Stop();
    auth_->Stop();
    fs::remove_all(*root_);
    delete anon_;
    delete auth_;
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
  static std::string* host_;  // the anonymous registry
  static testing::TestRegistry* anon_;
  static testing::TestRegistry* auth_;  // htpasswd: alice / s3cret
};

fs::path* CliTest::root_ = nullptr;
testing::TestRegistry* CliTest::anon_ = nullptr;
testing::TestRegistry* CliTest::auth_ = nullptr;
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

void ExpectSameImage(const std::string& a, const std::string& b) {
  pack::testing::ExpectSameTree(MUST(pack::ReadSquashfsTree(a)), MUST(pack::ReadSquashfsTree(b)));
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

  // erofs: the same tree as the squashfs (timestamps in erofs are 64-bit, clamped on read).
  auto [erc, err] = RunCmd(bin + " pack --format erofs --tls-verify=false --store " + store + " " +
                           src + " " + out + ".e 2>&1");
  ASSERT_EQ(erc, 0) << err;
  pack::testing::ExpectSameTree(MUST(pack::ReadSquashfsTree(out)),
                                MUST(pack::ReadErofsTree(out + ".e")));
  auto formats = MUST(ImageCache(store).List());
  ASSERT_EQ(formats.size(), 1u);
  EXPECT_EQ(formats[0].format, "erofs");
  auto [frc, ferr] = RunCmd(bin + " pack --format ext4 " + src + " " + out + ".x 2>&1");
  EXPECT_EQ(frc, 2) << ferr;
  EXPECT_EQ(RunCmd(bin + " pack 2>/dev/null").first, 2);
  EXPECT_EQ(RunCmd(bin + " bogus 2>/dev/null").first, 2);
  auto [trc, terr] =
      RunCmd(bin + " pack --store " + store + " oci:/nonexistent " + out + ".o 2>&1");
  EXPECT_EQ(trc, 1);
  EXPECT_NE(terr.find("/nonexistent"), std::string::npos) << terr;
  EXPECT_FALSE(fs::exists(out + ".o"));
}

TEST_F(CliTest, LocalSourcesPackLikeTheRegistry) {
  const std::string bin = KRATA_OCI_BINARY;
  const std::string layout = (*root_ / "img/layout").string();
  const std::string policy = "--policy " + (*root_ / "img/policy.json").string();
  const std::string oci_archive = (*root_ / "layered-oci.tar").string();
  const std::string docker_archive = (*root_ / "layered-docker.tar").string();
  MustRun("skopeo " + policy + " copy -q oci:" + layout + ":img oci-archive:" + oci_archive +
          ":img 2>&1");
  MustRun("skopeo " + policy + " copy -q oci:" + layout + ":img docker-archive:" + docker_archive +
          ":test/layered:v1 2>&1");

  PackRequest reg = Request("test/layered:v1", "store-local", "local-reg.sqfs");
  PackOutcome from_registry = MUST(PackImage(reg));
  const std::vector<std::string> sources = {"oci:" + layout + ":img",
                                            "oci-archive:" + oci_archive + ":img",
                                            "docker-archive:" + docker_archive};
  for (size_t i = 0; i < sources.size(); ++i) {
    SCOPED_TRACE(sources[i]);
    std::string out = (*root_ / ("local-" + std::to_string(i) + ".sqfs")).string();
    auto [rc, text] =
        RunCmd(bin + " pack --store " + reg.store + " " + sources[i] + " " + out + " 2>&1");
    ASSERT_EQ(rc, 0) << text;
    ExpectSameImage(reg.output, out);
    auto [irc, json] = RunCmd(bin + " inspect " + sources[i]);
    ASSERT_EQ(irc, 0) << json;
    // The OCI layout holds the very manifest that was pushed; skopeo rewrites it as Docker
    // schema 2 for docker-archive.
    if (i < 2) {
      EXPECT_NE(json.find(from_registry.manifest_digest.ToString()), std::string::npos) << json;
    }
  }
  // The oci: and oci-archive: packs were cache hits of the registry's entry (same manifest).
  auto entries = MUST(ImageCache(reg.store).List());
  EXPECT_EQ(entries.size(), 2u);
}

TEST_F(CliTest, CredentialsThroughTheBinary) {
  const std::string bin = KRATA_OCI_BINARY;
  const std::string src = "docker://" + auth_->host() + "/private/layered:v1";
  const std::string out = (*root_ / "auth.sqfs").string();
  const std::string pack =
      bin + " pack --no-cache --tls-verify=false --store " + (*root_ / "store-auth").string() + " ";

  auto [wrc, werr] = RunCmd(pack + "--creds alice:wrong " + src + " " + out + " 2>&1");
  EXPECT_EQ(wrc, 1);
  EXPECT_NE(werr.find("rejected the credentials for user \"alice\""), std::string::npos) << werr;
  EXPECT_FALSE(fs::exists(out));

  auto [arc, aerr] =
      RunCmd("env -u REGISTRY_AUTH_FILE HOME=/nonexistent " + pack + src + " " + out + " 2>&1");
  EXPECT_EQ(arc, 1);
  EXPECT_NE(aerr.find("authentication required"), std::string::npos) << aerr;
  EXPECT_FALSE(fs::exists(out));

  auto [grc, gerr] = RunCmd(pack + "--creds alice:s3cret " + src + " " + out + " 2>&1");
  ASSERT_EQ(grc, 0) << gerr;
  EXPECT_EQ(MUST(pack::ReadSquashfsTree(out)).at("etc/a").data, "a v2\n");
  fs::remove(out);

  // The same credentials from an auth file (containers-auth.json(5): base64 "user:pass").
  std::string auth_file = (*root_ / "auth.json").string();
  std::ofstream(auth_file) << R"({"auths":{")" << auth_->host()
                           << R"(":{"auth":"YWxpY2U6czNjcmV0"}}})";
  auto [frc, ferr] =
      RunCmd("REGISTRY_AUTH_FILE=" + auth_file + " " + pack + src + " " + out + " 2>&1");
  ASSERT_EQ(frc, 0) << ferr;
  EXPECT_TRUE(fs::exists(out));
}

}  // namespace
}  // namespace krata::oci::cli
