#pragma once
// How the workload's end is reported to the host (the contract in src/runtime/runtime.h):
// under the domain's home (relative xenstore paths), "krata/zone/exit-code" = decimal code
// and, for a death by signal, code = 128 + signal (as a shell reports it) plus
// "krata/zone/exit-signal" = the signal number. Init failures report 127.

#include <string>
#include <utility>
#include <vector>

namespace krata::zone {

inline constexpr std::string_view kExitCodeKey = "krata/zone/exit-code";
inline constexpr std::string_view kExitSignalKey = "krata/zone/exit-signal";
inline constexpr int kInitFailureCode = 127;

struct ExitReport {
  int code = 0;
  int signal = 0;  // nonzero: killed by this signal
};

// From a waitpid(2) status of a terminated child.
ExitReport FromWaitStatus(int status);

// The (key, value) writes, in order: exit-signal first, so a host watching exit-code finds
// the signal already there.
std::vector<std::pair<std::string, std::string>> ExitWrites(const ExitReport& exit);

}  // namespace krata::zone
