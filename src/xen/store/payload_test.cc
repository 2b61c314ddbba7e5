// Pure payload and permission codecs.

#include "xen/store/payload.h"

#include <gtest/gtest.h>

#include "xen/store/perms.h"

namespace krata::xen::store {
namespace {

using namespace std::string_literals;

TEST(XsPermsTest, ParseAndFormat) {
  EXPECT_EQ(*ParsePerm("n0"), (Perm{0, Access::kNone}));
  EXPECT_EQ(*ParsePerm("r1"), (Perm{1, Access::kRead}));
  EXPECT_EQ(*ParsePerm("w2"), (Perm{2, Access::kWrite}));
  EXPECT_EQ(*ParsePerm("b65535"), (Perm{65535, Access::kReadWrite}));
  EXPECT_EQ(FormatPerm({32752, Access::kReadWrite}), "b32752");
  for (const char* bad : {"", "r", "x1", "R1", "r-1", "r+1", "r 1", "r01", "r65536", "r1000000",
                          "r1a", "1r"}) {
    EXPECT_FALSE(ParsePerm(bad).has_value()) << bad;
  }
}

TEST(XsPermsTest, Lists) {
  std::vector<Perm> perms = {{3, Access::kNone}, {0, Access::kRead}};
  EXPECT_EQ(*FormatPermList(perms), "n3\0r0\0"s);
  EXPECT_EQ(*ParsePermList("n3\0r0\0"s), perms);
  EXPECT_FALSE(ParsePermList("").has_value());
  EXPECT_FALSE(ParsePermList("n3\0r0"s).has_value());     // last entry not terminated
  EXPECT_FALSE(ParsePermList("n3\0\0r0\0"s).has_value());  // empty entry
  EXPECT_FALSE(ParsePermList(std::string(4097, '\0')).has_value());
  EXPECT_FALSE(FormatPermList({}).has_value());
}

TEST(XsPayloadTest, WatchEvents) {
  EXPECT_EQ(*ParseWatchEvent("/a/b\0tok\0"s), (WatchEvent{"/a/b", "tok"}));
  EXPECT_EQ(*ParseWatchEvent("@releaseDomain\0\0"s), (WatchEvent{"@releaseDomain", ""}));
  EXPECT_EQ(FormatWatchEvent({"/a", "t"}), "/a\0t\0"s);
  for (const std::string& bad : {""s, "/a"s, "/a\0t"s, "\0t\0"s, "/a\0t\0x\0"s, "/a\0t\0x"s}) {
    EXPECT_FALSE(ParseWatchEvent(bad).has_value()) << bad.size();
  }
}

TEST(XsPayloadTest, PathsAndTokens) {
  EXPECT_TRUE(ValidatePath("/").has_value());
  EXPECT_TRUE(ValidatePath("/local/domain/0/device-model_x").has_value());
  EXPECT_TRUE(ValidatePath("@introduceDomain").has_value());
  EXPECT_TRUE(ValidatePath("data/relative").has_value());
  EXPECT_TRUE(ValidatePath("/" + std::string(3071, 'a')).has_value());
  EXPECT_FALSE(ValidatePath("/" + std::string(3072, 'a')).has_value());
  for (const std::string& bad : {""s, "//"s, "/a//b"s, "/a/"s, "/a\0"s, "/a.b"s, "/ä"s}) {
    EXPECT_FALSE(ValidatePath(bad).has_value()) << bad;
  }
  EXPECT_TRUE(ValidateToken("any printable token: 1!").has_value());
  EXPECT_FALSE(ValidateToken("\n").has_value());
  EXPECT_FALSE(ValidateToken(std::string(513, 'a')).has_value());
}

TEST(XsPayloadTest, ScalarReplies) {
  EXPECT_EQ(*ParseTransactionId("17\0"s), 17u);
  EXPECT_EQ(*ParseTransactionId("4294967295"), 4294967295u);
  for (const std::string& bad : {"0\0"s, "4294967296\0"s, "-1\0"s, "\0"s, "1 \0"s, "1\0\0"s}) {
    EXPECT_FALSE(ParseTransactionId(bad).has_value()) << bad;
  }
  EXPECT_TRUE(ParseOk("OK\0"s).has_value());
  EXPECT_FALSE(ParseOk("NO\0"s).has_value());
  EXPECT_TRUE(*ParseBool("T\0"s));
  EXPECT_FALSE(*ParseBool("F\0"s));
  EXPECT_FALSE(ParseBool("TF\0"s).has_value());
  EXPECT_EQ(*ParseDirectory("a\0bb\0"s), (std::vector<std::string>{"a", "bb"}));
  EXPECT_TRUE(ParseDirectory("")->empty());
  EXPECT_TRUE(ParseDirectory("\0"s)->empty());
  EXPECT_FALSE(ParseDirectory("a\0b"s).has_value());
  EXPECT_EQ(IntroducePayload(5, 0x1234, 7), "5\0" "4660\0" "7\0"s);
  EXPECT_EQ(DomidPayload(65535), "65535\0"s);
  EXPECT_EQ(*ParseDecimal("18446744073709551615", UINT64_MAX), UINT64_MAX);
  EXPECT_FALSE(ParseDecimal("18446744073709551616", UINT64_MAX).has_value());
  EXPECT_FALSE(ParseDecimal("65536", UINT16_MAX).has_value());
}

}  // namespace
}  // namespace krata::xen::store
