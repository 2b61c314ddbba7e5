#include "oci/manifest.h"

#include <gtest/gtest.h>

#include "oci/media_types.h"

namespace krata::oci {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');
const std::string kC = "sha256:" + std::string(64, 'c');

std::string OciManifest(std::string extra_layer_fields = "") {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
         kA +
         R"(","size":123},
    "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
         kB + R"(","size":4567)" + extra_layer_fields + R"(},
              {"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":")" +
         kC +
         R"(","size":0}],
    "annotations":{"org.opencontainers.image.created":"2024-01-01"}})";
}

std::string IndexEntry(const std::string& digest, const std::string& platform,
                       std::string_view type = media::kOciManifest) {
  return R"({"mediaType":")" + std::string(type) + R"(","digest":")" + digest + R"(","size":500)" +
         (platform.empty() ? "" : R"(,"platform":)" + platform) + "}";
}

TEST(ManifestTest, ParsesOciManifest) {
  Manifest m = MUST(ParseManifest(OciManifest()));
  EXPECT_EQ(m.media_type, media::kOciManifest);
  EXPECT_EQ(m.config.digest.ToString(), kA);
  EXPECT_EQ(m.config.size, 123);
  ASSERT_EQ(m.layers.size(), 2u);
  EXPECT_EQ(m.layers[0].size, 4567);
  EXPECT_EQ(MUST(media::LayerCompression(m.layers[0].media_type)), media::Compression::kGzip);
  EXPECT_EQ(MUST(media::LayerCompression(m.layers[1].media_type)), media::Compression::kZstd);
  EXPECT_EQ(m.annotations.at("org.opencontainers.image.created"), "2024-01-01");
  EXPECT_EQ(MUST(DetectManifestKind(OciManifest())), ManifestKind::kManifest);
}

TEST(ManifestTest, ParsesDockerSchema2WithoutMediaTypeUsingContentType) {
  std::string doc = R"({"schemaVersion":2,
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" +
                    kA +
                    R"(","size":1},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" +
                    kB + R"(","size":2}]})";
  Manifest m = MUST(
      ParseManifest(doc, "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8"));
  EXPECT_EQ(m.media_type, media::kDockerManifest);
  // Without any type the shape decides and OCI is assumed.
  EXPECT_EQ(MUST(ParseManifest(doc)).media_type, media::kOciManifest);
}

TEST(ManifestTest, RejectsSchema1WithClearError) {
  Result<Manifest> r = ParseManifest(R"({"schemaVersion":1,"name":"x","fsLayers":[]})");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("schema 1 is not supported"), std::string::npos);
  r = ParseManifest(R"({"schemaVersion":2})", media::kDockerSchema1Signed);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("schema 1"), std::string::npos);
}

TEST(ManifestTest, RejectsHostileOrMalformedDocuments) {
  std::string big = "{\"schemaVersion\":2,\"x\":\"" + std::string(kMaxManifestBytes, 'a') + "\"}";
  Result<Manifest> r = ParseManifest(big);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("exceeds the cap"), std::string::npos);

  for (std::string bad : {
           std::string("not json"),
           std::string("[1]"),
           std::string("{}"),
           std::string(R"({"schemaVersion":"2"})"),
           std::string(R"({"schemaVersion":3})"),
           std::string(R"({"schemaVersion":2,"mediaType":"text/html"})"),
           std::string(R"({"schemaVersion":2,"mediaType":5})"),
           // Negative, fractional, string and missing sizes.
           OciManifest().replace(OciManifest().find("4567"), 4, "-1"),
           OciManifest().replace(OciManifest().find("4567"), 4, "1.5"),
           OciManifest().replace(OciManifest().find("4567"), 4, "\"4567\""),
           OciManifest().replace(OciManifest().find(",\"size\":123"), 11, ""),
           // Bad digest, bad types in optional fields.
           OciManifest().replace(OciManifest().find(kB), kB.size(), "sha256:1234"),
           OciManifest(R"(,"urls":"http://x")"),
           OciManifest(R"(,"annotations":{"a":1})"),
           // Config over the cap.
           OciManifest().replace(OciManifest().find("123"), 3, "99999999999"),
           // An index is not a manifest.
           std::string(R"({"schemaVersion":2,"manifests":[]})"),
       }) {
    EXPECT_FALSE(ParseManifest(bad).has_value()) << bad;
  }
  // Null optional fields are treated as absent.
  EXPECT_TRUE(ParseManifest(OciManifest(R"(,"urls":null,"annotations":null)")).has_value());
}

TEST(ManifestTest, CapsLayerCount) {
  std::string layers;
  for (size_t i = 0; i <= kMaxLayers; ++i) {
    if (i) layers += ",";
    layers += IndexEntry(kB, "", media::kOciLayerGzip);
  }
  std::string doc = R"({"schemaVersion":2,"config":)" + IndexEntry(kA, "", media::kOciConfig) +
                    R"(,"layers":[)" + layers + "]}";
  EXPECT_FALSE(ParseManifest(doc).has_value());
}

std::string MultiArchIndex() {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
         IndexEntry(kA, R"({"os":"linux","architecture":"arm","variant":"v6"})") + "," +
         IndexEntry(kB, R"({"os":"linux","architecture":"arm64","variant":"v8"})") + "," +
         IndexEntry(kC, R"({"os":"linux","architecture":"amd64"})") + "," +
         IndexEntry(kA, R"({"os":"unknown","architecture":"unknown"})") + "," +
         IndexEntry(kB, R"({"os":"linux","architecture":"arm","variant":"v7"})") + "]}";
}

Platform P(std::string_view text) { return MUST(ParsePlatform(text)); }

TEST(ManifestTest, ParsesIndexAndSelectsPlatform) {
  Index idx = MUST(ParseIndex(MultiArchIndex()));
  EXPECT_EQ(idx.media_type, media::kOciIndex);
  ASSERT_EQ(idx.manifests.size(), 5u);
  EXPECT_EQ(MUST(DetectManifestKind(MultiArchIndex())), ManifestKind::kIndex);

  EXPECT_EQ(MUST(SelectManifest(idx, DefaultPlatform())).digest.ToString(), kC);
  // arm64 without variant means v8.
  EXPECT_EQ(MUST(SelectManifest(idx, P("linux/arm64"))).digest.ToString(), kB);
  EXPECT_EQ(MUST(SelectManifest(idx, P("linux/aarch64/v8"))).digest.ToString(), kB);
  // arm/v7 is preferred over v6 for an arm/v7 target; arm/v6 takes only v6.
  Descriptor v7 = MUST(SelectManifest(idx, P("linux/arm/v7")));
  EXPECT_EQ(v7.platform->variant, "v7");
  Descriptor v6 = MUST(SelectManifest(idx, P("linux/arm/v6")));
  EXPECT_EQ(v6.platform->variant, "v6");
  EXPECT_FALSE(SelectManifest(idx, MUST(ParsePlatform("linux/arm/v5"))).has_value());
  Result<Descriptor> none = SelectManifest(idx, MUST(ParsePlatform("linux/s390x")));
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().message().find("linux/amd64"), std::string::npos);  // lists choices
}

TEST(ManifestTest, DockerManifestListAndNestedEntries) {
  std::string list =
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[)" +
      IndexEntry(kA, R"({"os":"linux","architecture":"amd64"})", media::kOciIndex) + "," +
      IndexEntry(kB, R"({"os":"linux","architecture":"amd64"})", media::kDockerManifest) + "]}";
  Index idx = MUST(ParseIndex(list));
  EXPECT_EQ(idx.media_type, media::kDockerManifestList);
  // A nested index is skipped; the manifest entry is picked.
  EXPECT_EQ(MUST(SelectManifest(idx, DefaultPlatform())).digest.ToString(), kB);
  EXPECT_FALSE(ParseManifest(list).has_value());
  // Platform fields are type-checked.
  std::string bad = R"({"schemaVersion":2,"manifests":[)" +
                    IndexEntry(kA, R"({"os":"linux","architecture":7})") + "]}";
  EXPECT_FALSE(ParseIndex(bad).has_value());
}

TEST(ManifestTest, SingleEntryIndexWithoutPlatform) {
  std::string doc = R"({"schemaVersion":2,"manifests":[)" + IndexEntry(kA, "") + "]}";
  Index idx = MUST(ParseIndex(doc));
  EXPECT_EQ(MUST(SelectManifest(idx, DefaultPlatform())).digest.ToString(), kA);
}

TEST(PlatformTest, ParseAndNormalise) {
  EXPECT_EQ(MUST(ParsePlatform("linux/x86_64")).ToString(), "linux/amd64");
  EXPECT_EQ(P("linux/arm64").ToString(), "linux/arm64/v8");
  EXPECT_EQ(MUST(ParsePlatform("linux/armhf")).ToString(), "linux/arm/v7");
  EXPECT_EQ(MUST(ParsePlatform("linux/arm")).ToString(), "linux/arm/v7");
  EXPECT_EQ(MUST(ParsePlatform("Linux/ARM/6")).ToString(), "linux/arm/v6");
  EXPECT_FALSE(ParsePlatform("linux").has_value());
  EXPECT_FALSE(ParsePlatform("linux//v7").has_value());
  EXPECT_FALSE(ParsePlatform("a/b/c/d").has_value());
  EXPECT_FALSE(ParsePlatform("linux/am d64").has_value());
  EXPECT_TRUE(
      PlatformMatches(MUST(ParsePlatform("linux/amd64")), Platform{"linux", "amd64", "v3", ""}));
  EXPECT_FALSE(
      PlatformMatches(MUST(ParsePlatform("linux/amd64/v2")), Platform{"linux", "amd64", "v3", ""}));
}

TEST(ManifestTest, LayerMediaTypes) {
  EXPECT_EQ(MUST(media::LayerCompression(media::kOciLayerTar)), media::Compression::kNone);
  EXPECT_EQ(MUST(media::LayerCompression(media::kDockerLayerGzip)), media::Compression::kGzip);
  EXPECT_FALSE(media::LayerCompression("application/vnd.in-toto+json").has_value());
}

}  // namespace
}  // namespace krata::oci
