#pragma once
// The close handshake of a domain's paravirtual backends of one kind ("vbd", "vif") before
// their xenstore nodes are removed (krata.md §3.10): ask each backend to close, then wait for
// it to say Closed.

#include <chrono>
#include <string_view>

#include "base/result.h"
#include "xen/call/types.h"
#include "xen/store/client.h"

namespace krata::xen::devices {

// Starts the close handshake of every backend under /local/domain/<backend>/backend/<kind>/
// <domid>/ (online=0, state=5 unless it is already 6), then waits up to `timeout` for the
// backend driver to reach state 6 (Closed) on all of them, using a watch on `xs` (events
// for other tokens on that client are dropped: give it a connection of its own). Returns
// true if every backend closed (or none existed).
Result<bool> CloseBackends(store::XsClient& xs, std::string_view kind, DomId domid,
                           std::chrono::milliseconds timeout, DomId backend = 0);

}  // namespace krata::xen::devices
