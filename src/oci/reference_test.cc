#include "oci/reference.h"

#include <gtest/gtest.h>

namespace krata::oci {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

DockerReference Docker(std::string_view s) {
  ImageReference r = MUST(ParseImageReference(s));
  EXPECT_EQ(r.transport, Transport::kDocker);
  return r.docker;
}

TEST(ReferenceTest, NormalisesDockerHubNames) {
  DockerReference r = Docker("docker://debian");
  EXPECT_EQ(r.registry, "docker.io");
  EXPECT_EQ(r.repository, "library/debian");
  EXPECT_EQ(r.tag, "latest");
  EXPECT_FALSE(r.digest.has_value());
  EXPECT_EQ(r.ApiHost(), "registry-1.docker.io");
  EXPECT_EQ(r.ToString(), "docker.io/library/debian:latest");

  r = Docker("docker://user/app:1.2");
  EXPECT_EQ(r.registry, "docker.io");
  EXPECT_EQ(r.repository, "user/app");
  EXPECT_EQ(r.tag, "1.2");

  r = Docker("docker://docker.io/debian:12");
  EXPECT_EQ(r.repository, "library/debian");
  r = Docker("docker://index.docker.io/library/alpine");
  EXPECT_EQ(r.registry, "docker.io");
  EXPECT_EQ(r.repository, "library/alpine");
}

TEST(ReferenceTest, DetectsRegistryHosts) {
  DockerReference r = Docker("docker://quay.io/coreos/etcd:v3");
  EXPECT_EQ(r.registry, "quay.io");
  EXPECT_EQ(r.repository, "coreos/etcd");
  EXPECT_EQ(r.ApiHost(), "quay.io");

  r = Docker("docker://localhost/app");
  EXPECT_EQ(r.registry, "localhost");
  EXPECT_EQ(r.repository, "app");  // no library/ outside docker.io

  r = Docker("docker://127.0.0.1:5000/a/b/c:t");
  EXPECT_EQ(r.registry, "127.0.0.1:5000");
  EXPECT_EQ(r.repository, "a/b/c");
  EXPECT_EQ(r.tag, "t");

  r = Docker("docker://[::1]:5000/app");
  EXPECT_EQ(r.registry, "[::1]:5000");

  r = Docker("docker://localhost:5000/app");  // the port colon is not a tag
  EXPECT_EQ(r.registry, "localhost:5000");
  EXPECT_EQ(r.tag, "latest");

  // No dot/colon and not localhost: a Docker Hub user, not a host.
  r = Docker("docker://myhost/app");
  EXPECT_EQ(r.registry, "docker.io");
  EXPECT_EQ(r.repository, "myhost/app");
}

TEST(ReferenceTest, DigestForms) {
  DockerReference r = Docker("docker://alpine@" + kDigest);
  EXPECT_EQ(r.tag, "");
  ASSERT_TRUE(r.digest.has_value());
  EXPECT_EQ(r.ManifestReference(), kDigest);
  EXPECT_EQ(r.ToString(), "docker.io/library/alpine@" + kDigest);

  r = Docker("docker://alpine:3@" + kDigest);
  EXPECT_EQ(r.tag, "3");
  EXPECT_EQ(r.ManifestReference(), kDigest);  // the digest pins it

  EXPECT_FALSE(ParseImageReference("docker://alpine@sha256:abc").has_value());
  EXPECT_FALSE(ParseImageReference("docker://alpine@md5:" + std::string(32, 'a')).has_value());
}

TEST(ReferenceTest, RejectsInvalidNames) {
  for (const char* bad : {
           "docker://",
           "docker:debian",
           "docker://Debian",
           "docker://user/App",
           "docker://debian:",
           "docker://debian:-tag",
           "docker://debian:" /* empty tag */,
           "docker://a//b",
           "docker://a/b/",
           "docker://-a",
           "docker://a-",
           "docker://a..b",
           "docker://a___b",
           "docker://quay.io:0/x",
           "docker://quay.io:99999/x",
           "docker://-bad.io/x",
           "docker://host.io/",
           "docker://debian:a/b",
           "docker://debian:t@",
           "docker://debian@",
           "docker://x y",
       }) {
    EXPECT_FALSE(ParseImageReference(bad).has_value()) << bad;
  }
  std::string long_tag(129, 'a');
  EXPECT_FALSE(ParseImageReference("docker://debian:" + long_tag).has_value());
  EXPECT_TRUE(ParseImageReference("docker://debian:" + long_tag.substr(1)).has_value());
  std::string long_name(256, 'a');
  EXPECT_FALSE(ParseImageReference("docker://" + long_name).has_value());
  Result<ImageReference> upper = ParseImageReference("docker://quay.io/Foo");
  ASSERT_FALSE(upper.has_value());
  EXPECT_NE(upper.error().message().find("lower-case"), std::string::npos);
}

TEST(ReferenceTest, AcceptsComponentSeparators) {
  EXPECT_TRUE(IsValidRepository("a.b/c_d/e__f/g-h/i---j"));
  EXPECT_FALSE(IsValidRepository("a.-b"));
  EXPECT_TRUE(IsValidTag("_x.Y-1"));
  EXPECT_FALSE(IsValidTag(".x"));
  EXPECT_TRUE(IsValidRegistryHost("my-registry.example.com:443"));
  EXPECT_FALSE(IsValidRegistryHost("my_registry.example.com"));
}

TEST(ReferenceTest, LayoutAndArchiveTransports) {
  ImageReference r = MUST(ParseImageReference("oci:/tmp/layout:v1"));
  EXPECT_EQ(r.transport, Transport::kOciLayout);
  EXPECT_EQ(r.path, "/tmp/layout");
  EXPECT_EQ(r.tag, "v1");
  EXPECT_EQ(r.ToString(), "oci:/tmp/layout:v1");

  r = MUST(ParseImageReference("oci:relative/dir"));
  EXPECT_EQ(r.path, "relative/dir");
  EXPECT_EQ(r.tag, "");

  r = MUST(ParseImageReference("oci-archive:/x/img.tar:latest"));
  EXPECT_EQ(r.transport, Transport::kOciArchive);
  EXPECT_EQ(r.path, "/x/img.tar");
  EXPECT_EQ(r.tag, "latest");

  r = MUST(ParseImageReference("docker-archive:/x/save.tar"));
  EXPECT_EQ(r.transport, Transport::kDockerArchive);
  EXPECT_EQ(r.path, "/x/save.tar");
  r = MUST(ParseImageReference("docker-archive:/x/save.tar:busybox:1"));
  EXPECT_EQ(r.tag, "busybox:1");
  r = MUST(ParseImageReference("docker-archive:/x/save.tar:@2"));
  EXPECT_EQ(r.tag, "@2");

  EXPECT_FALSE(ParseImageReference("oci:").has_value());
  EXPECT_FALSE(ParseImageReference("oci:/dir:").has_value());
  EXPECT_FALSE(ParseImageReference("oci:/dir:bad tag").has_value());
  EXPECT_FALSE(ParseImageReference("docker-archive:/x:@").has_value());
  EXPECT_FALSE(ParseImageReference("docker-archive:/x:@1a").has_value());
  EXPECT_FALSE(ParseImageReference("docker-archive:/x:Bad/Name").has_value());
  Result<ImageReference> unknown = ParseImageReference("containers-storage:x");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("unknown transport"), std::string::npos);
  EXPECT_FALSE(ParseImageReference("debian").has_value());
}

}  // namespace
}  // namespace krata::oci
