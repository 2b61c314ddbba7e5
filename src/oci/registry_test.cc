// Pulls from a real registry: Debian's docker-registry on 127.0.0.1, started by
// tests/registry/start-registry.sh, with images built by umoci and pushed by skopeo
// (tests/registry/make-image.sh). One registry runs anonymous, one with htpasswd auth.

#include "oci/registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "base/file.h"
#include "oci/media_types.h"
#include "oci/resolve.h"
#include "oci/test_registry.h"

namespace krata::oci {
namespace {

namespace fs = std::filesystem;

using testing::ScriptsDir;
using testing::Shell;
using testing::TestRegistry;

const std::string kScripts = ScriptsDir();

class RegistryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fs::temp_directory_path() /
                         ("krata-registry-test-" + std::to_string(::getpid())));
    fs::create_directories(*root_);
    anon_ = new TestRegistry;
    auth_ = new TestRegistry;
    anon_->Start(*root_ / "anon");
    auth_->Start(*root_ / "auth", "alice", "s3cret");
    anon_->Wait();
    auth_->Wait();
    Shell anon_image("MULTI_DEST=" + anon_->host() + "/test/multi:v1 " + kScripts +
                     "make-image.sh " + (*root_ / "img-anon").string() + " " + anon_->host() +
                     "/test/app:v1");
    Shell auth_image(kScripts + "make-image.sh " + (*root_ / "img-auth").string() + " " +
                     auth_->host() + "/private/app:v1 alice:s3cret");
    Shell tamper_image(kScripts + "make-image.sh " + (*root_ / "img-tamper").string() + " " +
                       anon_->host() + "/test/tamper:v1");
    anon_image.Wait();
    auth_image.Wait();
    tamper_image.Wait();
  }
  static void TearDownTestSuite() {
    anon_->Stop();
    auth_->Stop();
    fs::remove_all(*root_);
    delete anon_;
    delete auth_;
    delete root_;
  }

  static DockerReference Ref(const std::string& s) { return MUST(ParseDockerReference(s)); }
  static RegistryOptions Insecure(std::optional<Credentials> c = std::nullopt) {
    RegistryOptions o;
    o.tls_verify = false;
    o.credentials = std::move(c);
    o.initial_backoff = std::chrono::milliseconds(10);
    return o;
  }

  static fs::path* root_;
  static TestRegistry* anon_;
  static TestRegistry* auth_;
};

fs::path* RegistryTest::root_;
TestRegistry* RegistryTest::anon_;
TestRegistry* RegistryTest::auth_;

TEST_F(RegistryTest, AnonymousResolveAndParallelFetch) {
  RegistryClient client(anon_->host(), Insecure());
  ResolvedImage img =
      MUST(ResolveImage(client, Ref(anon_->host() + "/test/app:v1"), DefaultPlatform()));
  EXPECT_FALSE(img.index_digest.has_value());
  EXPECT_EQ(img.manifest_digest, ComputeDigest(img.manifest_bytes));
  EXPECT_EQ(img.manifest.media_type, media::kOciManifest);
  EXPECT_EQ(img.platform.ToString(), "linux/amd64");
  ASSERT_EQ(img.layers().size(), 2u);
  EXPECT_EQ(img.config.entrypoint, (std::vector<std::string>{"/bin/sh"}));
  EXPECT_EQ(img.config.cmd, (std::vector<std::string>{"-c", "cat /etc/hello"}));
  EXPECT_NE(std::find(img.config.env.begin(), img.config.env.end(), "FOO=bar"),
            img.config.env.end());
  EXPECT_EQ(img.config.working_dir, "/srv");
  EXPECT_EQ(img.config.user, "1000:1000");
  EXPECT_EQ(img.config.exposed_ports, (std::vector<std::string>{"80/tcp"}));
  EXPECT_EQ(img.config.labels.at("krata.test"), "1");
  EXPECT_EQ(img.config.diff_ids.size(), 2u);

  fs::path out = *root_ / "fetch-anon";
  fs::create_directories(out);
  std::vector<std::string> paths = {(out / "l0").string(), (out / "l1").string()};
  MUST(FetchBlobsToFiles(client, "test/app", img.layers(), paths, 2));
  for (size_t i = 0; i < 2; ++i) {
    std::string data = MUST(ReadFile(paths[i]));
    EXPECT_EQ(static_cast<int64_t>(data.size()), img.layers()[i].size);
    EXPECT_EQ(ComputeDigest(data), img.layers()[i].digest);
    EXPECT_FALSE(fs::exists(paths[i] + ".partial"));
  }

  // What inspect prints.
  std::string json = InspectJson(img);
  EXPECT_NE(json.find("\"manifest_digest\": \"" + img.manifest_digest.ToString()),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"diff_id\": \"" + img.config.diff_ids[1].ToString()), std::string::npos);
  EXPECT_NE(json.find("\"platform\": \"linux/amd64\""), std::string::npos);

  // The same image pinned by digest.
  DockerReference pinned = Ref(anon_->host() + "/test/app@" + img.manifest_digest.ToString());
  ResolvedImage again = MUST(ResolveImage(client, pinned, DefaultPlatform()));
  EXPECT_EQ(again.manifest_bytes, img.manifest_bytes);
}

TEST_F(RegistryTest, MultiPlatformIndex) {
  RegistryClient client(anon_->host(), Insecure());
  DockerReference ref = Ref(anon_->host() + "/test/multi:v1");
  ResolvedImage amd = MUST(ResolveImage(client, ref, DefaultPlatform()));
  ASSERT_TRUE(amd.index_digest.has_value());
  EXPECT_EQ(amd.platform.ToString(), "linux/amd64");
  EXPECT_EQ(amd.config.labels.count("krata.arch"), 0u);

  Platform arm64 = MUST(ParsePlatform("linux/arm64"));
  ResolvedImage arm = MUST(ResolveImage(client, ref, arm64));
  EXPECT_EQ(arm.platform.ToString(), "linux/arm64/v8");
  EXPECT_EQ(arm.config.labels.at("krata.arch"), "arm64");
  EXPECT_NE(arm.manifest_digest, amd.manifest_digest);
  EXPECT_EQ(arm.index_digest, amd.index_digest);

  Platform s390x = MUST(ParsePlatform("linux/s390x"));
  Result<ResolvedImage> none = ResolveImage(client, ref, s390x);
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().message().find("linux/arm64/v8"), std::string::npos)
      << none.error().ToString();

  // A single-platform image for another architecture is refused, not silently used.
  Result<ResolvedImage> wrong = ResolveImage(client, Ref(anon_->host() + "/test/app:v1"), arm64);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error().message().find("built for linux/amd64"), std::string::npos);
}

TEST_F(RegistryTest, ErrorsAreClear) {
  RegistryClient client(anon_->host(), Insecure());
  Result<FetchedManifest> missing = client.GetManifest("test/app", "nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message().find("not found"), std::string::npos)
      << missing.error().ToString();

  // Without --tls-verify=false plain http is never used.
  RegistryOptions strict;
  strict.max_attempts = 1;
  RegistryClient tls(anon_->host(), strict);
  Result<FetchedManifest> refused = tls.GetManifest("test/app", "v1");
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("cannot reach"), std::string::npos)
      << refused.error().ToString();
}

TEST_F(RegistryTest, BasicAuth) {
  DockerReference ref = Ref(auth_->host() + "/private/app:v1");
  RegistryClient good(auth_->host(), Insecure(Credentials{"alice", "s3cret"}));
  ResolvedImage img = MUST(ResolveImage(good, ref, DefaultPlatform()));
  EXPECT_EQ(img.layers().size(), 2u);
  fs::path out = *root_ / "fetch-auth";
  fs::create_directories(out);
  MUST(FetchBlobToFile(good, ref.repository, img.layers()[1], (out / "l1").string()));
  EXPECT_EQ(static_cast<int64_t>(fs::file_size(out / "l1")), img.layers()[1].size);

  // Credentials found through $REGISTRY_AUTH_FILE-style lookup by registry name.
  fs::path auth_file = *root_ / "auth.json";
  std::ofstream(auth_file) << R"({"auths":{")" << auth_->host() << R"(":{"auth":")"
                           << EncodeBase64("alice:s3cret") << R"("}}})";
  CredentialSources sources;
  sources.registry_auth_file = auth_file.string();
  std::unique_ptr<RegistryClient> via_file = MUST(ConnectRegistry(ref, false, sources));
  EXPECT_EQ(MUST(ResolveImage(*via_file, ref, DefaultPlatform())).manifest_digest,
            img.manifest_digest);

  RegistryClient anonymous(auth_->host(), Insecure());
  Result<ResolvedImage> r = ResolveImage(anonymous, ref, DefaultPlatform());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("authentication required"), std::string::npos)
      << r.error().ToString();

  RegistryClient wrong(auth_->host(), Insecure(Credentials{"alice", "wrong"}));
  r = ResolveImage(wrong, ref, DefaultPlatform());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("rejected the credentials for user \"alice\""),
            std::string::npos)
      << r.error().ToString();
}

TEST_F(RegistryTest, TamperedBlobsAreRejectedAndLeaveNoFile) {
  RegistryClient client(anon_->host(), Insecure());
  ResolvedImage img =
      MUST(ResolveImage(client, Ref(anon_->host() + "/test/tamper:v1"), DefaultPlatform()));
  ASSERT_EQ(img.layers().size(), 2u);
  const Descriptor& big = img.layers()[1];
  const Descriptor& small = img.layers()[0];

  // Same size, one byte flipped: only the digest can tell.
  fs::path stored = anon_->BlobFile(big.digest);
  ASSERT_TRUE(fs::exists(stored)) << stored;
  {
    std::fstream f(stored, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(big.size / 2);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(big.size / 2);
    f.write(&c, 1);
  }
  fs::path out = *root_ / "fetch-tamper";
  fs::create_directories(out);
  Status s = FetchBlobToFile(client, "test/tamper", big, (out / "big").string());
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message().find("digest mismatch"), std::string::npos) << s.error().ToString();
  EXPECT_FALSE(fs::exists(out / "big"));
  EXPECT_FALSE(fs::exists(out / "big.partial"));

  // One byte short: a size error.
  fs::resize_file(anon_->BlobFile(small.digest), static_cast<uintmax_t>(small.size - 1));
  s = FetchBlobToFile(client, "test/tamper", small, (out / "small").string());
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message().find("expected " + std::to_string(small.size)), std::string::npos)
      << s.error().ToString();
  EXPECT_FALSE(fs::exists(out / "small"));
}

}  // namespace
}  // namespace krata::oci
