#include "base/file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace krata {
namespace {

TEST(FileTest, WriteThenReadBack) {
  char tmpl[] = "/tmp/krata-file-test-XXXXXX";
  int raw = ::mkstemp(tmpl);
  ASSERT_GE(raw, 0);
  UniqueFd fd(raw);
  ASSERT_TRUE(WriteAll(fd.get(), "hello\nworld").has_value());
  Result<std::string> text = ReadFile(tmpl);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(*text, "hello\nworld");
  Result<std::string> capped = ReadFile(tmpl, 4);
  EXPECT_FALSE(capped.has_value());
  ::unlink(tmpl);
}

TEST(FileTest, MissingFileReportsErrnoAndPath) {
  Result<std::string> r = ReadFile("/nonexistent/krata");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), ENOENT);
  EXPECT_NE(r.error().ToString().find("/nonexistent/krata"), std::string::npos);
}

TEST(FileTest, ReadExactFailsOnShortStream) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  UniqueFd r(fds[0]), w(fds[1]);
  ASSERT_TRUE(WriteAll(w.get(), "abc").has_value());
  w.reset();
  char buf[4];
  EXPECT_FALSE(ReadExact(r.get(), buf, 4).has_value());
}

}  // namespace
}  // namespace krata
