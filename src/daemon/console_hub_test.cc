#include "daemon/console_hub.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

namespace krata::daemon {
namespace {

using Ev = ConsoleSubscription::Event;
constexpr std::chrono::milliseconds kNow{0};

class ConsoleHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/console-hub-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

std::string Drain(ConsoleSubscription& sub) {
  std::string all, chunk;
  while (sub.Wait(&chunk, kNow) == Ev::kData) all += chunk;
  return all;
}

TEST_F(ConsoleHubTest, ReplayThenLiveThenEnd) {
  ConsoleHub hub({.log_dir = dir_});
  hub.Append("z", "boot\n");
  auto sub = hub.Subscribe("z", /*replay=*/true, /*follow=*/true);
  hub.Append("z", "live\n");
  EXPECT_EQ(Drain(*sub), "boot\nlive\n");
  hub.End("z");
  std::string chunk;
  EXPECT_EQ(sub->Wait(&chunk, kNow), Ev::kEnd);
  // A late subscriber gets the history and the end.
  auto late = hub.Subscribe("z", true, true);
  EXPECT_EQ(Drain(*late), "boot\nlive\n");
  EXPECT_EQ(late->Wait(&chunk, kNow), Ev::kEnd);
}

TEST_F(ConsoleHubTest, HistoryIsBoundedAndReloadedFromTheLog) {
  {
    ConsoleHub hub({.log_dir = dir_, .history_bytes = 8, .log_max_bytes = 1024});
    hub.Append("z", "0123456789");
    EXPECT_EQ(hub.History("z"), "23456789");
  }
  ConsoleHub again({.log_dir = dir_, .history_bytes = 8, .log_max_bytes = 1024});
  EXPECT_EQ(again.History("z"), "23456789");
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/z.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ConsoleHubTest, LogRotatesAtTheLimit) {
  ConsoleHub hub({.log_dir = dir_, .history_bytes = 64, .log_max_bytes = 10});
  hub.Append("z", "aaaaaaaa");
  hub.Append("z", "bbbbbbbb");  // would pass 10: the first part moves to z.log.1
  EXPECT_EQ(std::filesystem::file_size(dir_ + "/z.log.1"), 8u);
  EXPECT_EQ(std::filesystem::file_size(dir_ + "/z.log"), 8u);
  ConsoleHub again({.log_dir = dir_, .history_bytes = 64, .log_max_bytes = 10});
  EXPECT_EQ(again.History("z"), "aaaaaaaabbbbbbbb");
  again.Remove("z");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/z.log"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/z.log.1"));
}

TEST_F(ConsoleHubTest, SlowSubscriberIsCutOffNotWaitedFor) {
  ConsoleHub hub({.log_dir = "", .subscriber_max_bytes = 16});
  auto slow = hub.Subscribe("z", false, true);
  auto other = hub.Subscribe("z", false, true);
  hub.Append("z", std::string(10, 'x'));
  EXPECT_EQ(Drain(*other), std::string(10, 'x'));
  hub.Append("z", std::string(10, 'y'));  // slow now holds 20 > 16
  std::string chunk;
  EXPECT_EQ(slow->Wait(&chunk, kNow), Ev::kOverflow);
  EXPECT_EQ(Drain(*other), std::string(10, 'y'));
}

TEST_F(ConsoleHubTest, NoFollowEndsAfterHistory) {
  ConsoleHub hub({.log_dir = dir_});
  hub.Append("z", "x");
  auto sub = hub.Subscribe("z", true, /*follow=*/false);
  hub.Append("z", "y");
  EXPECT_EQ(Drain(*sub), "x");
  std::string chunk;
  EXPECT_EQ(sub->Wait(&chunk, kNow), Ev::kEnd);
}

}  // namespace
}  // namespace krata::daemon
