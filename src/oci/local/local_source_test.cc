// End to end over real files: OCI layouts written here, archives made with tar(1) and
// skopeo(1) when installed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/file.h"
#include "oci/json_util.h"
#include "oci/local/image_source.h"
#include "oci/media_types.h"

namespace krata::oci::local {
namespace {

namespace fs = std::filesystem;
using json_util::Json;
using ::testing::HasSubstr;

void WriteText(const std::string& path, std::string_view data) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

std::string Slurp(const std::string& path) { return MUST(ReadFile(path)); }

bool Shell(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

class LocalSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ocilocal_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    dir_ = tmp_ + "/layout";
    WriteText(dir_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  }
  void TearDown() override { fs::remove_all(tmp_); }

  // A real uncompressed layer tar holding one file, so diff_id == digest.
  std::string LayerTar(const std::string& content) {
    std::string src = tmp_ + "/src-" + std::to_string(counter_++);
    WriteText(src + "/hello.txt", content);
    std::string out = src + ".tar";
    EXPECT_TRUE(Shell("tar --owner=0 --group=0 --mtime=@0 -C " + src + " -cf " + out + " ."));
    return Slurp(out);
  }

  Descriptor PutBlob(std::string_view media_type, const std::string& bytes) {
    Descriptor d;
    d.media_type = media_type;
    d.digest = ComputeDigest(bytes);
    d.size = static_cast<int64_t>(bytes.size());
    WriteText(dir_ + "/blobs/sha256/" + d.digest.hex(), bytes);
    return d;
  }

  static Json DescJson(const Descriptor& d) {
    return {{"mediaType", d.media_type}, {"digest", d.digest.ToString()}, {"size", d.size}};
  }

  // An image with one layer; returns the manifest descriptor.
  Descriptor AddImage(const std::string& arch, const std::string& content) {
    Descriptor layer = PutBlob(media::kOciLayerTar, LayerTar(content));
    Json config = {{"architecture", arch},
                   {"os", "linux"},
                   {"config", {{"Cmd", {"/bin/" + content}}}},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", {layer.digest.ToString()}}}}};
    Descriptor cfg = PutBlob(media::kOciConfig, config.dump());
    Json manifest = {{"schemaVersion", 2},
                     {"mediaType", media::kOciManifest},
                     {"config", DescJson(cfg)},
                     {"layers", {DescJson(layer)}}};
    last_layer_ = layer;
    return PutBlob(media::kOciManifest, manifest.dump());
  }

  void WriteIndex(const std::vector<std::pair<Descriptor, std::string>>& entries) {
    Json manifests = Json::array();
    for (const auto& [d, tag] : entries) {
      Json e = DescJson(d);
      if (!tag.empty()) e["annotations"] = {{"org.opencontainers.image.ref.name", tag}};
      manifests.push_back(e);
    }
    WriteText(dir_ + "/index.json",
              Json({{"schemaVersion", 2}, {"manifests", manifests}}).dump());
  }

  Result<std::unique_ptr<ImageSource>> Open(const std::string& source) {
    return OpenLocalSource(MUST(ParseImageReference(source)));
  }
  // Resolve through a fresh source; aborts on error.
  ResolvedImage ResolveOk(const std::string& source, const Platform& p = DefaultPlatform()) {
    std::unique_ptr<ImageSource> src = MUST(Open(source));
    return MUST(src->Resolve(p));
  }

  std::string tmp_, dir_;
  Descriptor last_layer_;
  int counter_ = 0;
};

TEST_F(LocalSourceTest, OciDirSingleImageResolvesAndFetches) {
  Descriptor m = AddImage("amd64", "one");
  WriteIndex({{m, ""}});
  auto src = MUST(Open("oci:" + dir_));
  ResolvedImage img = MUST(src->Resolve(DefaultPlatform()));
  EXPECT_EQ(img.manifest_digest, m.digest);
  EXPECT_FALSE(img.index_digest.has_value());
  EXPECT_EQ(img.config.cmd, std::vector<std::string>{"/bin/one"});
  ASSERT_EQ(img.layers().size(), 1u);
  std::string dest = tmp_ + "/layer";
  ASSERT_TRUE(src->FetchBlob(img.layers()[0], dest).has_value());
  EXPECT_EQ(ComputeDigest(Slurp(dest)), img.layers()[0].digest);
  EXPECT_FALSE(fs::exists(dest + ".partial"));
  // Wrong platform: the config says amd64.
  EXPECT_FALSE(src->Resolve(MUST(ParsePlatform("linux/arm64"))).has_value());
}

TEST_F(LocalSourceTest, OciDirTagSelection) {
  Descriptor a = AddImage("amd64", "aaa");
  Descriptor b = AddImage("amd64", "bbb");
  WriteIndex({{a, "a"}, {b, "b"}});
  EXPECT_EQ(ResolveOk("oci:" + dir_ + ":b").manifest_digest,
            b.digest);
  EXPECT_EQ(ResolveOk("oci:" + dir_ + ":a").manifest_digest,
            a.digest);
  auto missing = MUST(Open("oci:" + dir_ + ":c"))->Resolve(DefaultPlatform());
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error().ToString(), HasSubstr("available: a, b"));
  auto ambiguous = MUST(Open("oci:" + dir_))->Resolve(DefaultPlatform());
  ASSERT_FALSE(ambiguous.has_value());
  EXPECT_THAT(ambiguous.error().ToString(), HasSubstr("name one"));
}

TEST_F(LocalSourceTest, NestedIndexSelectsPlatform) {
  Descriptor amd = AddImage("amd64", "amd");
  amd.platform = Platform{"linux", "amd64", "", ""};
  Descriptor arm = AddImage("arm64", "arm");
  arm.platform = Platform{"linux", "arm64", "", ""};
  Json manifests = Json::array();
  for (const Descriptor& d : {amd, arm}) {
    Json e = DescJson(d);
    e["platform"] = {{"os", d.platform->os}, {"architecture", d.platform->architecture}};
    manifests.push_back(e);
  }
  Descriptor nested = PutBlob(
      media::kOciIndex,
      Json({{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", manifests}})
          .dump());
  WriteIndex({{nested, "multi"}});
  auto src = MUST(Open("oci:" + dir_ + ":multi"));
  Platform arm64 = MUST(ParsePlatform("linux/arm64"));
  ResolvedImage img = MUST(src->Resolve(arm64));
  EXPECT_EQ(img.manifest_digest, arm.digest);
  ASSERT_TRUE(img.index_digest.has_value());
  EXPECT_EQ(*img.index_digest, nested.digest);
  EXPECT_EQ(MUST(src->Resolve(DefaultPlatform())).manifest_digest, amd.digest);
  EXPECT_FALSE(src->Resolve(MUST(ParsePlatform("linux/s390x"))).has_value());
}

TEST_F(LocalSourceTest, TamperedBlobLeavesNothing) {
  Descriptor m = AddImage("amd64", "one");
  WriteIndex({{m, ""}});
  auto src = MUST(Open("oci:" + dir_));
  ResolvedImage img = MUST(src->Resolve(DefaultPlatform()));
  std::string blob = dir_ + "/blobs/sha256/" + img.layers()[0].digest.hex();
  std::string bytes = Slurp(blob);
  bytes[bytes.size() / 2] ^= 1;  // same size, different content
  WriteText(blob, bytes);
  std::string dest = tmp_ + "/layer";
  auto s = src->FetchBlob(img.layers()[0], dest);
  ASSERT_FALSE(s.has_value());
  EXPECT_THAT(s.error().ToString(), HasSubstr("sha256"));
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(fs::exists(dest + ".partial"));
  // Longer than the descriptor says: stopped at the size, nothing left.
  WriteText(blob, bytes + "extra");
  EXPECT_FALSE(src->FetchBlob(img.layers()[0], dest).has_value());
  EXPECT_FALSE(fs::exists(dest) || fs::exists(dest + ".partial"));
  // A tampered manifest fails Resolve.
  WriteText(dir_ + "/blobs/sha256/" + m.digest.hex(), Slurp(dir_ + "/index.json"));
  EXPECT_FALSE(src->Resolve(DefaultPlatform()).has_value());
}

TEST_F(LocalSourceTest, HostileIndexRefused) {
  Descriptor m = AddImage("amd64", "one");
  WriteText(dir_ + "/../x", "secret");
  std::string entry = R"({"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                      R"("digest":"sha256:../../x","size":6})";
  WriteText(dir_ + "/index.json", R"({"schemaVersion":2,"manifests":[)" + entry + "]}");
  EXPECT_FALSE(MUST(Open("oci:" + dir_))->Resolve(DefaultPlatform()).has_value());
  // Absurd sizes are refused before reading.
  Json huge = DescJson(m);
  huge["size"] = int64_t{1} << 50;
  WriteText(dir_ + "/index.json",
            Json({{"schemaVersion", 2}, {"manifests", {huge}}}).dump());
  auto r = MUST(Open("oci:" + dir_))->Resolve(DefaultPlatform());
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().ToString(), HasSubstr("limit"));
  // A descriptor never resolved with an absurd size still cannot write more than the blob.
  Descriptor bogus = last_layer_;
  bogus.size = int64_t{1} << 50;
  EXPECT_FALSE(MUST(Open("oci:" + dir_))->FetchBlob(bogus, tmp_ + "/big").has_value());
  EXPECT_FALSE(fs::exists(tmp_ + "/big") || fs::exists(tmp_ + "/big.partial"));
}

TEST_F(LocalSourceTest, NotALayout) {
  WriteText(dir_ + "/oci-layout", R"({"imageLayoutVersion":"2.0.0"})");
  EXPECT_FALSE(Open("oci:" + dir_).has_value());
  EXPECT_FALSE(Open("oci:" + tmp_ + "/nonexistent").has_value());
  EXPECT_FALSE(Open("oci-archive:" + tmp_ + "/nonexistent.tar").has_value());
  WriteText(tmp_ + "/junk.tar", "this is not a tar");
  auto junk = Open("oci-archive:" + tmp_ + "/junk.tar");
  EXPECT_FALSE(junk.has_value());
}

TEST_F(LocalSourceTest, OciArchiveFromTar) {
  Descriptor a = AddImage("amd64", "aaa");
  Descriptor b = AddImage("amd64", "bbb");
  WriteIndex({{a, "a"}, {b, "b"}});
  std::string archive = tmp_ + "/img.tar";
  ASSERT_TRUE(Shell("tar -C " + dir_ + " -cf " + archive + " ."));  // members "./index.json"
  auto src = MUST(Open("oci-archive:" + archive + ":b"));
  ResolvedImage img = MUST(src->Resolve(DefaultPlatform()));
  EXPECT_EQ(img.manifest_digest, b.digest);
  std::string dest = tmp_ + "/layer";
  ASSERT_TRUE(src->FetchBlob(img.layers()[0], dest).has_value());
  EXPECT_EQ(ComputeDigest(Slurp(dest)), img.layers()[0].digest);
  EXPECT_FALSE(fs::exists(dest + ".partial"));
  // The directory was not extracted anywhere next to the archive.
  EXPECT_FALSE(fs::exists(tmp_ + "/index.json"));
  auto missing = MUST(Open("oci-archive:" + archive + ":zzz"))->Resolve(DefaultPlatform());
  EXPECT_FALSE(missing.has_value());
}

TEST_F(LocalSourceTest, OciArchiveTamperedBlob) {
  Descriptor m = AddImage("amd64", "one");
  WriteIndex({{m, ""}});
  std::string blob = dir_ + "/blobs/sha256/" + last_layer_.digest.hex();
  std::string bytes = Slurp(blob);
  bytes[100] ^= 1;
  WriteText(blob, bytes);
  std::string archive = tmp_ + "/img.tar";
  ASSERT_TRUE(Shell("tar -C " + dir_ + " -cf " + archive + " oci-layout index.json blobs"));
  auto src = MUST(Open("oci-archive:" + archive));
  ResolvedImage img = MUST(src->Resolve(DefaultPlatform()));
  std::string dest = tmp_ + "/layer";
  EXPECT_FALSE(src->FetchBlob(img.layers()[0], dest).has_value());
  EXPECT_FALSE(fs::exists(dest) || fs::exists(dest + ".partial"));
}

class DockerArchiveTest : public LocalSourceTest {
 protected:
  // manifest.json + config + one layer, written as a docker save archive.
  std::string MakeArchive(const std::string& layer, const std::string& diff_id,
                          const std::string& layer_path = "abc/layer.tar") {
    std::string root = tmp_ + "/docker";
    WriteText(root + "/" + layer_path, layer);
    Json config = {{"architecture", "amd64"},
                   {"os", "linux"},
                   {"config", {{"Entrypoint", {"/init"}}}},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}}};
    WriteText(root + "/cfg.json", config.dump());
    WriteText(root + "/manifest.json",
              Json::array({{{"Config", "cfg.json"},
                            {"RepoTags", {"example.com/app:1"}},
                            {"Layers", {layer_path}}}})
                  .dump());
    std::string archive = tmp_ + "/docker.tar";
    EXPECT_TRUE(Shell("tar -C " + root + " -cf " + archive + " ."));
    return archive;
  }
};

TEST_F(DockerArchiveTest, HandMadeArchive) {
  std::string layer = LayerTar("content");
  std::string archive = MakeArchive(layer, ComputeDigest(layer).ToString());
  for (std::string ref : {"", ":example.com/app:1", ":@0"}) {
    auto src = MUST(Open("docker-archive:" + archive + ref));
    ResolvedImage img = MUST(src->Resolve(DefaultPlatform()));
    EXPECT_EQ(img.manifest.media_type, media::kDockerManifest);
    EXPECT_EQ(img.manifest.config.media_type, media::kDockerConfig);
    EXPECT_EQ(img.manifest.config.digest, ComputeDigest(img.config_bytes));
    EXPECT_EQ(img.manifest_digest, ComputeDigest(img.manifest_bytes));
    EXPECT_EQ(img.reference.ToString(), "example.com/app:1");
    EXPECT_EQ(img.config.entrypoint, std::vector<std::string>{"/init"});
    ASSERT_EQ(img.layers().size(), 1u);
    EXPECT_EQ(img.layers()[0].digest, ComputeDigest(layer));
    EXPECT_EQ(img.layers()[0].size, static_cast<int64_t>(layer.size()));
    EXPECT_EQ(img.layers()[0].media_type, media::kOciLayerTar);
    std::string dest = tmp_ + "/layer" + std::to_string(counter_++);
    ASSERT_TRUE(src->FetchBlob(img.layers()[0], dest).has_value());
    EXPECT_EQ(Slurp(dest), layer);
    ASSERT_TRUE(src->FetchBlob(img.manifest.config, dest + "c").has_value());
    EXPECT_EQ(Slurp(dest + "c"), img.config_bytes);
    // Only blobs of the resolved image can be fetched.
    Descriptor other = img.layers()[0];
    other.digest = ComputeDigest("other");
    EXPECT_FALSE(src->FetchBlob(other, dest + "x").has_value());
  }
  auto wrong = MUST(Open("docker-archive:" + archive + ":other:2"))->Resolve(DefaultPlatform());
  EXPECT_FALSE(wrong.has_value());
}

TEST_F(DockerArchiveTest, DiffIdMismatchRefused) {
  std::string layer = LayerTar("content");
  std::string archive = MakeArchive(layer, ComputeDigest("not the layer").ToString());
  auto r = MUST(Open("docker-archive:" + archive))->Resolve(DefaultPlatform());
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().ToString(), HasSubstr("abc/layer.tar"));
}

TEST_F(DockerArchiveTest, HostileLayerPathRefused) {
  std::string root = tmp_ + "/docker";
  WriteText(root + "/cfg.json", "{}");
  WriteText(root + "/manifest.json", R"([{"Config":"cfg.json","Layers":["../../etc/passwd"]}])");
  std::string archive = tmp_ + "/docker.tar";
  ASSERT_TRUE(Shell("tar -C " + root + " -cf " + archive + " ."));
  EXPECT_FALSE(Open("docker-archive:" + archive).has_value());
}

// skopeo writes the real formats; skipped where it is not installed.
TEST_F(LocalSourceTest, SkopeoArchives) {
  if (!Shell("command -v skopeo")) GTEST_SKIP() << "skopeo not installed";
  Descriptor m = AddImage("amd64", "one");
  WriteIndex({{m, "v1"}});
  std::string oa = tmp_ + "/oci.tar", da = tmp_ + "/docker.tar";
  ASSERT_TRUE(Shell("skopeo --insecure-policy copy oci:" + dir_ + ":v1 oci-archive:" + oa + ":v1"));
  ASSERT_TRUE(Shell("skopeo --insecure-policy copy oci:" + dir_ + ":v1 docker-archive:" + da +
                  ":example.com/app:v1"));
  ResolvedImage from_oci = ResolveOk("oci-archive:" + oa + ":v1");
  EXPECT_EQ(from_oci.config.cmd, std::vector<std::string>{"/bin/one"});
  auto src = MUST(Open("docker-archive:" + da + ":example.com/app:v1"));
  ResolvedImage img = MUST(src->Resolve(DefaultPlatform()));
  EXPECT_EQ(img.config.cmd, std::vector<std::string>{"/bin/one"});
  ASSERT_EQ(img.layers().size(), 1u);
  EXPECT_EQ(img.layers()[0].digest, last_layer_.digest);  // uncompressed both ways
  std::string dest = tmp_ + "/layer";
  ASSERT_TRUE(src->FetchBlob(img.layers()[0], dest).has_value());
  EXPECT_EQ(ComputeDigest(Slurp(dest)), last_layer_.digest);
}

}  // namespace
}  // namespace krata::oci::local
