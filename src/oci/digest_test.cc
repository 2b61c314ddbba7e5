#include "oci/digest.h"

#include <gtest/gtest.h>

namespace krata::oci {
namespace {

constexpr char kEmptySha256[] =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcSha256[] =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kAbcSha512[] =
    "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a8"
    "36ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

TEST(DigestTest, ParsesStrictForms) {
  Digest d = MUST(Digest::Parse(kAbcSha256));
  EXPECT_EQ(d.algorithm(), DigestAlgorithm::kSha256);
  EXPECT_EQ(d.hex().size(), 64u);
  EXPECT_EQ(d.ToString(), kAbcSha256);
  EXPECT_EQ(MUST(Digest::Parse(kAbcSha512)).algorithm(), DigestAlgorithm::kSha512);
}

TEST(DigestTest, RejectsMalformed) {
  const std::string hex64(64, 'a');
  for (std::string bad :
       {std::string(""), std::string("sha256"), "sha256:" + hex64.substr(1),
        "sha256:" + hex64 + "a", "SHA256:" + hex64, "sha256:" + std::string(64, 'A'),
        "sha384:" + std::string(96, 'a'), "sha512:" + hex64, ":" + hex64,
        "sha256:" + std::string(63, 'a') + "g", "sha256 :" + hex64}) {
    EXPECT_FALSE(Digest::Parse(bad).has_value()) << bad;
  }
}

TEST(DigestTest, StreamingEqualsOneShotAndKnownVectors) {
  EXPECT_EQ(ComputeDigest("").ToString(), kEmptySha256);
  EXPECT_EQ(ComputeDigest("abc").ToString(), kAbcSha256);
  EXPECT_EQ(ComputeDigest("abc", DigestAlgorithm::kSha512).ToString(), kAbcSha512);
  std::string data;
  for (int i = 0; i < 100000; ++i) data.push_back(static_cast<char>(i * 7));
  Hasher h;
  for (size_t off = 0; off < data.size(); off += 4093)
    h.Update(std::string_view(data).substr(off, 4093));
  EXPECT_EQ(h.size(), data.size());
  EXPECT_EQ(h.Finish(), ComputeDigest(data));
}

TEST(DigestTest, VerifyReportsMismatch) {
  Digest abc = MUST(Digest::Parse(kAbcSha256));
  EXPECT_TRUE(VerifyDigest(abc, "abc", "blob").has_value());
  Status bad = VerifyDigest(abc, "abd", "layer 0");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("digest mismatch for layer 0"), std::string::npos);
  EXPECT_NE(bad.error().message().find(kAbcSha256), std::string::npos);
  Digest abc512 = MUST(Digest::Parse(kAbcSha512));
  EXPECT_TRUE(VerifyDigest(abc512, "abc", "blob").has_value());
}

}  // namespace
}  // namespace krata::oci
