#pragma once
// `kratactl zone attach` and `zone launch --attach`: the zone console on this terminal.
// Console output goes to stdout; stdin goes to the zone. When stdin is a terminal it is put
// in raw mode for the duration (restored on every exit path) and Ctrl-] (0x1d) detaches.
// When stdin ends (a pipe, /dev/null), the output keeps streaming until the zone stops.

#include <string>

#include "base/result.h"
#include "ctl/client.h"

namespace krata::ctl {

inline constexpr char kDetachByte = 0x1d;  // Ctrl-]

enum class AttachEnd {
  kZoneStopped,  // the daemon reported the end of the console (the zone stopped)
  kDetached,     // the user pressed Ctrl-]
};

Result<AttachEnd> AttachConsole(Connection& conn, const std::string& zone_id, bool replay);

}  // namespace krata::ctl
