#include "zone/exit_status.h"

#include <sys/wait.h>

namespace krata::zone {

ExitReport FromWaitStatus(int status) {
  if (WIFSIGNALED(status)) return {128 + WTERMSIG(status), WTERMSIG(status)};
  if (WIFEXITED(status)) return {WEXITSTATUS(status), 0};
  return {kInitFailureCode, 0};  // stopped/continued are not terminations; never passed here
}

std::vector<std::pair<std::string, std::string>> ExitWrites(const ExitReport& exit) {
  std::vector<std::pair<std::string, std::string>> writes;
  if (exit.signal != 0) {
    writes.emplace_back(std::string(kExitSignalKey), std::to_string(exit.signal));
  }
  writes.emplace_back(std::string(kExitCodeKey), std::to_string(exit.code));
  return writes;
}

}  // namespace krata::zone
