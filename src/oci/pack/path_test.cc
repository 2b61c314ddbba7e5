#include "oci/pack/path.h"

#include <gtest/gtest.h>

namespace krata::oci::pack {
namespace {

std::string Norm(std::string_view p) {
  Result<std::string> r = NormalisePath(p);
  return r.has_value() ? *r : "<error>";
}

TEST(NormalisePath, StripsRootAndDots) {
  EXPECT_EQ(Norm("/etc/passwd"), "etc/passwd");
  EXPECT_EQ(Norm("./etc/passwd"), "etc/passwd");
  EXPECT_EQ(Norm(".//etc/./passwd/"), "etc/passwd");
  EXPECT_EQ(Norm("///"), "");
  EXPECT_EQ(Norm("./"), "");
  EXPECT_EQ(Norm(""), "");
}

TEST(NormalisePath, DotDotStaysInside) {
  EXPECT_EQ(Norm("a/b/../c"), "a/c");
  EXPECT_EQ(Norm("a/.."), "");
  EXPECT_EQ(Norm("..."), "...");  // a legal name, not a parent reference
}

TEST(NormalisePath, DotDotEscapingIsAnError) {
  EXPECT_EQ(Norm(".."), "<error>");
  EXPECT_EQ(Norm("../etc/passwd"), "<error>");
  EXPECT_EQ(Norm("/../../etc"), "<error>");
  EXPECT_EQ(Norm("a/../../b"), "<error>");
}

TEST(NormalisePath, Limits) {
  EXPECT_EQ(Norm(std::string(255, 'x')), std::string(255, 'x'));
  EXPECT_EQ(Norm(std::string(256, 'x')), "<error>");
  std::string deep;
  for (int i = 0; i < 2049; ++i) deep += "d/";
  EXPECT_EQ(Norm(deep), "<error>");  // 4095 bytes max
  EXPECT_EQ(Norm(std::string("a\0b", 3)), "<error>");
}

TEST(NormalisePath, KeepsNonAsciiBytes) {
  EXPECT_EQ(Norm("caf\xc3\xa9/\xff\xfe"), "caf\xc3\xa9/\xff\xfe");
}

TEST(ClassifyPath, Whiteouts) {
  Result<ClassifiedPath> w = ClassifyPath("etc/.wh.passwd");
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->kind, PathKind::kWhiteout);
  EXPECT_EQ(w->target, "etc/passwd");

  Result<ClassifiedPath> top = ClassifyPath(".wh.etc");
  ASSERT_TRUE(top.has_value());
  EXPECT_EQ(top->target, "etc");

  Result<ClassifiedPath> o = ClassifyPath("var/lib/.wh..wh..opq");
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->kind, PathKind::kOpaque);
  EXPECT_EQ(o->target, "var/lib");

  Result<ClassifiedPath> root_opq = ClassifyPath(".wh..wh..opq");
  ASSERT_TRUE(root_opq.has_value());
  EXPECT_EQ(root_opq->kind, PathKind::kOpaque);
  EXPECT_EQ(root_opq->target, "");
}

TEST(ClassifyPath, BadVictimsAreErrors) {
  EXPECT_FALSE(ClassifyPath("a/.wh.").has_value());
  EXPECT_FALSE(ClassifyPath("a/.wh..").has_value());
  EXPECT_FALSE(ClassifyPath("a/.wh...").has_value());
  EXPECT_FALSE(ClassifyPath(".wh.dir/file").has_value());
  Result<ClassifiedPath> ok = ClassifyPath("a/.wh....");  // victim "..." is a real name
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->target, "a/...");
}

TEST(ClassifyPath, AufsMetadataIsSkipped) {
  EXPECT_EQ(ClassifyPath(".wh..wh.plnk").value().kind, PathKind::kAufsMeta);
  EXPECT_EQ(ClassifyPath(".wh..wh.plnk/123.456").value().kind, PathKind::kAufsMeta);
  EXPECT_EQ(ClassifyPath("usr/bin/env").value().kind, PathKind::kNormal);
}

}  // namespace
}  // namespace krata::oci::pack
