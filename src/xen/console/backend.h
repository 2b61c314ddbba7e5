#pragma once
// ConsoleBackend: our backend for a PV domain's primary console (what xenconsoled does, for
// one domain). It maps the ring the builder granted us (GNTTAB_RESERVED_CONSOLE, ref 0),
// binds the guest's console event channel, and moves bytes: guest output into a bounded
// history and to the caller, input from the caller into the ring.
//
// Driving it: poll(events().fd()) -> events().ReadPending() -> if port() fired, Service()
// -> Unmask. Not thread-safe: one thread owns it.

#include <cstddef>
#include <memory>
#include <string>

#include "base/result.h"
#include "xen/console/ring.h"
#include "xen/evtchn/evtchn.h"
#include "xen/gnttab/gnttab.h"

namespace krata::xen::console {

inline constexpr size_t kDefaultHistoryBytes = 1 << 20;

class ConsoleBackend {
 public:
  static Result<std::unique_ptr<ConsoleBackend>> Attach(gnttab::GrantMapper& grants,
                                                         evtchn::EventChannels& events,
                                                         uint16_t domid, uint32_t guest_port,
                                                         size_t history_limit = kDefaultHistoryBytes);

  // Drains guest output (returned, and appended to the history), then acknowledges with an
  // event. Returns an error when the guest corrupted the ring.
  Result<std::string> Service();
  // Sends input to the guest; bytes that do not fit now are returned for a later call.
  Result<std::string> Write(std::string_view input);

  evtchn::Port port() const { return port_.port(); }
  // The last history_limit bytes of output (older output is dropped first).
  const std::string& history() const { return history_; }
  uint64_t total_output() const { return total_output_; }

 private:
  ConsoleBackend(gnttab::GrantMapping map, evtchn::BoundPort port, size_t limit)
      : map_(std::move(map)), port_(std::move(port)), ring_(map_.bytes()), limit_(limit) {}

  gnttab::GrantMapping map_;
  evtchn::BoundPort port_;
  ConsoleRing ring_;
  size_t limit_;
  std::string history_;
  uint64_t total_output_ = 0;
};

}  // namespace krata::xen::console
