#include "runtime/loop.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "base/file.h"

namespace krata::runtime {
namespace {

// Real loop devices: needs root and /dev/loop-control (absent in many containers).
class LoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/dev/loop-control", R_OK | W_OK) != 0) {
      GTEST_SKIP() << "no usable /dev/loop-control (needs root and the loop driver)";
    }
    char tmpl[] = "/tmp/krata-loop-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    file_ = dir_ + "/disk.img";
    content_.assign(8192, 'k');
    content_.replace(0, 5, "KRATA");
    Result<UniqueFd> fd = OpenFile(file_, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_TRUE(fd.has_value());
    ASSERT_TRUE(WriteAll(fd->get(), content_).has_value());
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string dir_, file_, content_;
};

TEST_F(LoopTest, AttachReadOnlyReadsTheFileAndRefusesWrites) {
  Result<LoopDevice> loop = LoopDevice::Attach(file_, true);
  ASSERT_TRUE(loop.has_value()) << loop.error().ToString();
  EXPECT_TRUE(loop->attached());
  EXPECT_EQ(loop->major(), 7u);  // LOOP_MAJOR
  Result<std::string> through = ReadFile(loop->path(), 1 << 20);
  ASSERT_TRUE(through.has_value()) << through.error().ToString();
  EXPECT_EQ(*through, content_);
  // Read-only: opening for writing fails (EROFS) or, failing that, writing does.
  int fd = ::open(loop->path().c_str(), O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    EXPECT_LT(::write(fd, "x", 1), 0);
    ::close(fd);
  } else {
    EXPECT_EQ(errno, EROFS);
  }
  const std::string sys = "/sys/block/loop" + std::to_string(loop->number());
  Result<std::string> autoclear = ReadFile(sys + "/loop/autoclear", 4096);
  ASSERT_TRUE(autoclear.has_value()) << autoclear.error().ToString();
  EXPECT_EQ(*autoclear, "1\n");
  Result<std::string> ro = ReadFile(sys + "/ro", 4096);
  ASSERT_TRUE(ro.has_value());
  EXPECT_EQ(*ro, "1\n");
}

TEST_F(LoopTest, FindByBackingFileThenDetach) {
  Result<LoopDevice> loop = LoopDevice::Attach(file_, true);
  ASSERT_TRUE(loop.has_value()) << loop.error().ToString();
  const int number = loop->number();
  Result<std::vector<int>> found = FindLoopsByBackingFile(file_);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, std::vector<int>{number});
  ASSERT_TRUE(loop->Detach().has_value());
  EXPECT_FALSE(loop->attached());
  EXPECT_TRUE(loop->Detach().has_value());  // idempotent
  found = FindLoopsByBackingFile(file_);
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->empty());
}

TEST_F(LoopTest, TwoAttachmentsGetDistinctDevicesAndDestructorDetaches) {
  int a_number = -1;
  {
    Result<LoopDevice> a = LoopDevice::Attach(file_, true);
    Result<LoopDevice> b = LoopDevice::Attach(file_, true);
    ASSERT_TRUE(a.has_value() && b.has_value());
    EXPECT_NE(a->number(), b->number());
    a_number = a->number();
    Result<std::vector<int>> found = FindLoopsByBackingFile(file_);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->size(), 2u);
  }
  Result<std::vector<int>> found = FindLoopsByBackingFile(file_);
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->empty()) << "loop" << a_number << " still attached";
}

TEST_F(LoopTest, DetachLoopByNumberForCrashCleanup) {
  Result<LoopDevice> loop = LoopDevice::Attach(file_, true);
  ASSERT_TRUE(loop.has_value());
  const int number = loop->number();
  // A crashed daemon's loop: someone else holds it; DetachLoop marks it for autoclear.
  Result<UniqueFd> held = OpenFile(loop->path(), O_RDONLY);
  ASSERT_TRUE(held.has_value());
  ASSERT_TRUE(loop->Detach().has_value());
  EXPECT_EQ(*FindLoopsByBackingFile(file_), std::vector<int>{number});  // still held
  ASSERT_TRUE(DetachLoop(number).has_value());
  held->reset();
  EXPECT_TRUE(FindLoopsByBackingFile(file_)->empty());
  EXPECT_TRUE(DetachLoop(number).has_value());  // free already: fine
}

TEST(LoopFindTest, MissingSysBlockIsAnError) {
  EXPECT_FALSE(FindLoopsByBackingFile("/nonexistent", "/nonexistent-sys-block").has_value());
}

TEST(LoopAttachTest, MissingFileIsAnError) {
  EXPECT_FALSE(LoopDevice::Attach("/nonexistent/krata-disk.img").has_value());
}

}  // namespace
}  // namespace krata::runtime
