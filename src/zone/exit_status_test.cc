#include "zone/exit_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace krata::zone {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// A real wait status from a child that ends the given way.
int StatusOf(void (*end)()) {
  pid_t pid = fork();
  if (pid == 0) end();
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return status;
}

TEST(ExitStatus, ExitCode) {
  ExitReport r = FromWaitStatus(StatusOf([] { _exit(42); }));
  EXPECT_EQ(r.code, 42);
  EXPECT_EQ(r.signal, 0);
  EXPECT_THAT(ExitWrites(r), ElementsAre(Pair("krata/zone/exit-code", "42")));
}

TEST(ExitStatus, SignalDeathIs128PlusSignal) {
  ExitReport r = FromWaitStatus(StatusOf([] {
    signal(SIGTERM, SIG_DFL);
    raise(SIGTERM);
    _exit(0);
  }));
  EXPECT_EQ(r.code, 128 + SIGTERM);
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_THAT(ExitWrites(r), ElementsAre(Pair("krata/zone/exit-signal", "15"),
                                         Pair("krata/zone/exit-code", "143")));
}

TEST(ExitStatus, InitFailure) {
  EXPECT_THAT(ExitWrites({kInitFailureCode, 0}), ElementsAre(Pair("krata/zone/exit-code", "127")));
}

}  // namespace
}  // namespace krata::zone
