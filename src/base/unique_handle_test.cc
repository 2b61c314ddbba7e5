#include "base/unique_handle.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace krata {
namespace {

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(UniqueFdTest, ClosesOnDestructionAndReset) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    UniqueFd a(fds[0]);
    EXPECT_TRUE(a);
    UniqueFd b(fds[1]);
    b.reset();
    EXPECT_FALSE(b);
    EXPECT_FALSE(IsOpen(fds[1]));
  }
  EXPECT_FALSE(IsOpen(fds[0]));
}

TEST(UniqueFdTest, MoveTransfersOwnershipAndReleaseGivesItUp) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  UniqueFd a(fds[0]);
  UniqueFd b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(b.get(), fds[0]);
  int raw = b.release();
  EXPECT_FALSE(b);
  EXPECT_TRUE(IsOpen(raw));
  ::close(raw);
  ::close(fds[1]);
}

}  // namespace
}  // namespace krata
