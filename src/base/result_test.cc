#include "base/result.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>

namespace krata {
namespace {

Result<int> Half(int v) {
  if (v % 2 != 0) return Error::Invalid("half", "odd value " + std::to_string(v));
  return v / 2;
}

Result<int> Quarter(int v) {
  int h = TRY(Half(v));
  return TRY(Half(h));
}

Status CheckPositive(int v) {
  if (v <= 0) return Error::FromErrno("check", EINVAL, "value");
  return {};
}

Status Chain(int v) {
  TRY(CheckPositive(v));
  TRY(Half(v));
  return {};
}

TEST(ResultTest, ValueAndErrorAccessors) {
  Result<int> ok = Half(8);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 4);
  EXPECT_EQ(ok.value_or(-1), 4);
  Result<int> bad = Half(3);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.value_or(-1), -1);
  EXPECT_EQ(bad.error().op(), "half");
  EXPECT_EQ(bad.error().errno_value(), 0);
  EXPECT_EQ(bad.error().ToString(), "half: odd value 3");
}

TEST(ResultTest, TryPropagatesFirstError) {
  EXPECT_EQ(*Quarter(12), 3);
  Result<int> r = Quarter(6);  // 6 -> 3 -> odd
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "odd value 3");
}

TEST(ResultTest, VoidResultAndErrnoErrors) {
  EXPECT_TRUE(Chain(4).has_value());
  Status s = Chain(-2);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().errno_value(), EINVAL);
  EXPECT_EQ(s.error().ToString(), "value: check: Invalid argument");
  EXPECT_FALSE(Chain(5).has_value());
}

TEST(ResultTest, ContextNestsOutward) {
  Error e = Error::FromErrno("read", ENOENT, "/a").With("domain 3");
  EXPECT_EQ(e.ToString(), "domain 3: /a: read: No such file or directory");
}

TEST(ResultTest, MoveOnlyValues) {
  auto make = []() -> Result<std::unique_ptr<int>> { return std::make_unique<int>(7); };
  auto use = [&]() -> Result<int> {
    std::unique_ptr<int> p = TRY(make());
    return *p;
  };
  EXPECT_EQ(*use(), 7);
}

TEST(ResultDeathTest, ValueOnErrorAborts) {
  Result<int> bad = Half(1);
  EXPECT_DEATH((void)bad.value(), "odd value 1");
}

}  // namespace
}  // namespace krata
