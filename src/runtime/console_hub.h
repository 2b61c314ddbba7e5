#pragma once
// ConsoleHub: one thread that serves the primary console of every zone. It owns each zone's
// ConsoleBackend (xen/console/backend.h) once Launch hands it over, waits with poll(2) on the
// event channel device (shared with the launch path, which binds the ports) and on an eventfd
// for commands, delivers guest output to the handler, and feeds queued input to the rings.
//
// This thread is the only caller of ReadPending()/Unmask() on the EventChannels, as evtchn.h
// asks; it unmasks every port that fired, even one it does not serve (yet or any more), so a
// console adopted late is never left masked. Output of a zone is delivered only on this
// thread, in order. Input goes into the ring on the caller's thread; what does not fit waits
// (bounded) until the guest consumes input and notifies.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "base/unique_handle.h"
#include "runtime/runtime.h"
#include "xen/console/backend.h"
#include "xen/evtchn/evtchn.h"

namespace krata::runtime {

class ConsoleHub {
 public:
  // Input that has not fit into a ring yet, per zone; more is refused with ENOBUFS.
  static constexpr size_t kMaxPendingInput = 64 << 10;

  // `events` must outlive the hub.
  static Result<std::unique_ptr<ConsoleHub>> Start(xen::evtchn::EventChannels& events);
  ~ConsoleHub();  // stops the thread; remaining backends are destroyed (unmapped, unbound)
  ConsoleHub(const ConsoleHub&) = delete;
  ConsoleHub& operator=(const ConsoleHub&) = delete;

  void SetHandler(ConsoleOutputFn handler);
  // Serves `backend` from now on; output already in its ring is delivered straight away.
  Status Adopt(const std::string& zone_id, std::unique_ptr<xen::console::ConsoleBackend> backend);
  // Stops serving the zone and gives its backend back (null if unknown), for the caller to
  // destroy before the domain.
  std::unique_ptr<xen::console::ConsoleBackend> Release(const std::string& zone_id);
  Status Write(const std::string& zone_id, std::string_view bytes);
  // Everything the zone printed (up to the backend's history limit); empty if unknown.
  std::string History(const std::string& zone_id);

 private:
  struct Zone {
    std::unique_ptr<xen::console::ConsoleBackend> backend;
    std::string pending_input;
    bool needs_service = true;
    bool broken = false;  // the guest corrupted its ring: no longer served
  };
  ConsoleHub(xen::evtchn::EventChannels& events, UniqueFd wake)
      : events_(events), wake_(std::move(wake)) {}
  void Wake();
  void Run();
  // Services the zones that fired or asked for it; returns their output. Holds mu_.
  void ServiceLocked(const std::vector<xen::evtchn::Port>& fired, bool all,
                     std::vector<std::pair<std::string, std::string>>& out);

  xen::evtchn::EventChannels& events_;
  UniqueFd wake_;  // eventfd: commands for the thread
  std::mutex mu_;
  std::map<std::string, Zone> zones_;
  ConsoleOutputFn handler_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace krata::runtime
