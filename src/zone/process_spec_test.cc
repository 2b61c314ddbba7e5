#include "zone/process_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace krata::zone {
namespace {

using ::testing::ElementsAre;

TEST(BuildArgv, EntrypointPlusCmd) {
  ImageProcess image{{"/docker-entrypoint.sh"}, {"nginx", "-g", "daemon off;"}, {}, "", ""};
  EXPECT_THAT(BuildArgv(image, {}).value(),
              ElementsAre("/docker-entrypoint.sh", "nginx", "-g", "daemon off;"));
}

TEST(BuildArgv, OverrideArgsReplaceCmdAndKeepEntrypoint) {
  ImageProcess image{{"/entry"}, {"default"}, {}, "", ""};
  ProcessOverride o;
  o.args = std::vector<std::string>{"sh", "-c", "exit 3"};
  EXPECT_THAT(BuildArgv(image, o).value(), ElementsAre("/entry", "sh", "-c", "exit 3"));
  o.args = std::vector<std::string>{};  // set but empty: Cmd is dropped
  EXPECT_THAT(BuildArgv(image, o).value(), ElementsAre("/entry"));
}

TEST(BuildArgv, EmptyIsBinSh) { EXPECT_THAT(BuildArgv({}, {}).value(), ElementsAre("/bin/sh")); }

TEST(BuildArgv, RejectsNulAndEmptyName) {
  ImageProcess image{{}, {std::string("a\0b", 3)}, {}, "", ""};
  EXPECT_FALSE(BuildArgv(image, {}).has_value());
  ImageProcess empty{{}, {""}, {}, "", ""};
  EXPECT_FALSE(BuildArgv(empty, {}).has_value());
}

TEST(MergeEnv, OverlaysKeepingOrderAndAddsDefaults) {
  std::vector<std::string> dropped;
  std::vector<std::string> env =
      MergeEnv({"A=1", "B=2", "A=3", "NOEQ", "=x"}, {"B=override", "C=new"}, "/home/app", &dropped)
          .value();
  EXPECT_THAT(env, ElementsAre("A=3", "B=override", "C=new",
                               "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                               "HOME=/home/app", "TERM=linux", "KRATA_ZONE=1"));
  EXPECT_THAT(dropped, ElementsAre("NOEQ", "=x"));
}

TEST(MergeEnv, KeepsGivenPathHomeTermAndForcesKrataZone) {
  std::vector<std::string> env =
      MergeEnv({"PATH=/opt/bin", "HOME=/data", "TERM=xterm", "KRATA_ZONE=0"}, {}, "/root").value();
  EXPECT_THAT(env, ElementsAre("PATH=/opt/bin", "HOME=/data", "TERM=xterm", "KRATA_ZONE=1"));
  EXPECT_EQ(LookupEnv(env, "PATH").value(), "/opt/bin");
  EXPECT_FALSE(LookupEnv(env, "PAT").has_value());
}

TEST(MergeEnv, EmptyValueCountsAsSet) {
  std::vector<std::string> env = MergeEnv({"TERM="}, {}, "/").value();
  EXPECT_EQ(LookupEnv(env, "TERM").value(), "");
  EXPECT_EQ(std::count(env.begin(), env.end(), "TERM=linux"), 0);
}

TEST(MergeEnv, RejectsNul) {
  EXPECT_FALSE(MergeEnv({std::string("A=\0", 3)}, {}, "/").has_value());
}

TEST(WorkingDir, OverrideThenImageThenRoot) {
  ImageProcess image{{}, {}, {}, "/srv", ""};
  ProcessOverride o;
  EXPECT_EQ(ChooseWorkingDir(image, o).value(), "/srv");
  o.working_dir = "/tmp";
  EXPECT_EQ(ChooseWorkingDir(image, o).value(), "/tmp");
  EXPECT_EQ(ChooseWorkingDir({}, {}).value(), "/");
  image.working_dir = "app";
  EXPECT_EQ(ChooseWorkingDir(image, {}).value(), "/app");
}

TEST(User, OverrideWinsEvenWhenEmpty) {
  ImageProcess image{{}, {}, {}, "", "app"};
  ProcessOverride o;
  EXPECT_EQ(ChooseUser(image, o), "app");
  o.user = "";
  EXPECT_EQ(ChooseUser(image, o), "");
}

TEST(ExecFailure, ShellCodes) {
  EXPECT_EQ(ExecFailureExitCode(ENOENT), 127);
  EXPECT_EQ(ExecFailureExitCode(ENOTDIR), 127);
  EXPECT_EQ(ExecFailureExitCode(EACCES), 126);
  EXPECT_EQ(ExecFailureExitCode(ENOEXEC), 126);
}

}  // namespace
}  // namespace krata::zone
