// Pure parts: member path checks, manifest.json parsing, image selection.
#include <gtest/gtest.h>

#include "oci/local/blob_store.h"
#include "oci/local/docker_archive.h"

namespace krata::oci::local {
namespace {

TEST(MemberPath, RefusesHostilePaths) {
  EXPECT_TRUE(IsSafeMemberPath("blobs/sha256/abc"));
  EXPECT_TRUE(IsSafeMemberPath("abc/layer.tar"));
  EXPECT_FALSE(IsSafeMemberPath(""));
  EXPECT_FALSE(IsSafeMemberPath("/etc/passwd"));
  EXPECT_FALSE(IsSafeMemberPath("../x"));
  EXPECT_FALSE(IsSafeMemberPath("a/../../x"));
  EXPECT_FALSE(IsSafeMemberPath("a//b"));
  EXPECT_FALSE(IsSafeMemberPath("./a"));
  EXPECT_FALSE(IsSafeMemberPath("a/"));
  EXPECT_FALSE(IsSafeMemberPath("a\\..\\b"));
  EXPECT_FALSE(IsSafeMemberPath(std::string("a\0b", 3)));
  EXPECT_FALSE(IsSafeMemberPath(std::string(5000, 'a')));
}

TEST(MemberPath, Normalizes) {
  EXPECT_EQ(NormalizeMemberPath("./index.json"), "index.json");
  EXPECT_EQ(NormalizeMemberPath("./blobs//sha256/./x"), "blobs/sha256/x");
  EXPECT_EQ(NormalizeMemberPath("a/../b"), "a/../b");  // ".." kept, so never matches a safe path
}

TEST(MemberPath, BlobPathFromDigestOnly) {
  std::string hex(64, 'a');
  Digest d = MUST(Digest::Parse("sha256:" + hex));
  EXPECT_EQ(BlobPath(d), "blobs/sha256/" + hex);
  EXPECT_FALSE(Digest::Parse("sha256:../../x").has_value());
  EXPECT_FALSE(Digest::Parse("sha256:../../" + hex.substr(6)).has_value());
}

TEST(DockerArchiveManifest, Parses) {
  auto images = ParseDockerArchiveManifest(
      R"([{"Config":"c.json","RepoTags":["a:1","b:2"],"Layers":["x/layer.tar","blobs/sha256/y"]},
          {"Config":"d.json","RepoTags":null,"Layers":[]}])");
  ASSERT_TRUE(images.has_value()) << images.error().ToString();
  ASSERT_EQ(images->size(), 2u);
  EXPECT_EQ((*images)[0].config, "c.json");
  EXPECT_EQ((*images)[0].repo_tags, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ((*images)[0].layers, (std::vector<std::string>{"x/layer.tar", "blobs/sha256/y"}));
  EXPECT_TRUE((*images)[1].repo_tags.empty());
}

TEST(DockerArchiveManifest, RefusesBadInput) {
  for (const char* bad : {
           "", "{}", "[]", "[1]", R"([{"Layers":[]}])", R"([{"Config":"c"}])",
           R"([{"Config":"../c","Layers":[]}])", R"([{"Config":"/etc/c","Layers":[]}])",
           R"([{"Config":"c","Layers":["../../x"]}])", R"([{"Config":"c","Layers":[5]}])",
           R"([{"Config":"c","Layers":[],"RepoTags":"x"}])", R"([{"Config":7,"Layers":[]}])"}) {
    EXPECT_FALSE(ParseDockerArchiveManifest(bad).has_value()) << bad;
  }
  std::string many = R"([{"Config":"c","Layers":[)";
  for (size_t i = 0; i <= kMaxLayers; ++i) many += std::string(i ? "," : "") + "\"l\"";
  many += "]}]";
  EXPECT_FALSE(ParseDockerArchiveManifest(many).has_value());
}

TEST(DockerArchiveManifest, SelectsImage) {
  std::vector<DockerArchiveImage> images(2);
  images[0].repo_tags = {"docker.io/library/debian:latest"};
  images[1].repo_tags = {"example.com/app:1"};
  EXPECT_EQ(SelectDockerArchiveImage(images, "debian").value_or(9), 0u);
  EXPECT_EQ(SelectDockerArchiveImage(images, "example.com/app:1").value_or(9), 1u);
  EXPECT_EQ(SelectDockerArchiveImage(images, "@1").value_or(9), 1u);
  EXPECT_FALSE(SelectDockerArchiveImage(images, "@2").has_value());
  EXPECT_FALSE(SelectDockerArchiveImage(images, "@").has_value());
  EXPECT_FALSE(SelectDockerArchiveImage(images, "@1x").has_value());
  EXPECT_FALSE(SelectDockerArchiveImage(images, "@99999999999999999999999").has_value());
  EXPECT_FALSE(SelectDockerArchiveImage(images, "").has_value());  // ambiguous
  EXPECT_FALSE(SelectDockerArchiveImage(images, "other:2").has_value());
  images.resize(1);
  EXPECT_EQ(SelectDockerArchiveImage(images, "").value_or(9), 0u);
}

}  // namespace
}  // namespace krata::oci::local
