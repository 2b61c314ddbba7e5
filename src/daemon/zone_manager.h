#pragma once
// ZoneManager: the zone lifecycle (reference krata.md §1.4, with upstream's defects fixed).
//
//   CreateZone  -> row CREATING --launch--> CREATED (domid) | FAILED (message kept)
//   guest exits -> EXITED (exit code/signal kept; runtime.Destroy frees the domain; the row
//                  stays so list/logs still show it)
//   DestroyZone -> DESTROYING -> RequestShutdown, wait for the domain to stop (grace + margin,
//                  then forced) -> runtime.Destroy -> row deleted, DESTROYED broadcast
//
// One reconciler thread does every transition that touches the runtime. It sleeps on a
// condition variable and is woken by API calls, by a watcher thread blocked in
// runtime.WaitForChange (no polling of the runtime), and by destroy deadlines.
//
// Start() adopts what survived a daemon restart: zones whose domain still runs stay CREATED
// (console reopened), CREATED zones whose domain is gone become EXITED with the error
// "domain vanished" (they are not silently re-created), and krata domains the store does not
// know are destroyed.
//
// Thread-safe.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "daemon/console_hub.h"
#include "daemon/event_bus.h"
#include "daemon/image_service.h"
#include "daemon/zone_network.h"
#include "daemon/zone_store.h"
#include "runtime/runtime.h"

namespace krata::daemon {

struct ZoneManagerOptions {
  runtime::ZoneAssets assets;  // default kernel and initrd
  uint64_t default_memory_mib = 256;
  uint32_t default_cpus = 1;
  uint32_t shutdown_grace_ms = 10000;  // passed to the guest (SIGTERM .. SIGKILL)
  std::chrono::milliseconds destroy_margin{5000};
  NetworkOptions network;
  RandomFn random_bytes;  // MACs; empty: getrandom
};

class ZoneManager {
 public:
  // The runtime's console handler keeps `consoles` alive: a console thread may still be
  // delivering output while the daemon shuts down.
  ZoneManager(ZoneStore& store, runtime::Runtime& runtime, ImageService* images,
              std::shared_ptr<ConsoleHub> consoles, EventBus& events, ZoneManagerOptions options);
  ~ZoneManager();

  // Sets up the zone network (subnets checked; the gateway's and host's MACs read from the
  // store, or made and kept there the first time), adopts the runtime's domains, then starts
  // the threads.
  Status Start();
  // Stops the threads and detaches from the runtime's console; zones keep running (adopted at
  // the next Start).
  void Stop();

  // Errors carry errno: EINVAL (bad spec), EEXIST (name or host port taken), ENOSPC (no free
  // address), ENOENT (no such zone). Reserves the zone's addresses and MAC (kept in its
  // status' network_status) until the zone is destroyed.
  Result<std::string> Create(const v1::common::ZoneSpec& spec);
  Status Destroy(const std::string& id);
  Result<v1::common::Zone> Get(const std::string& id);
  Result<std::vector<v1::common::Zone>> List();
  // A zone id for a name or an id; "" when none matches.
  Result<std::string> Resolve(const std::string& name_or_id);
  // Console input for a running zone (EALREADY when it is not running).
  Status WriteConsole(const std::string& id, std::string_view bytes);
  // Valid after Start().
  const HostNetwork& host_network() const { return network_; }

 private:
  using Clock = std::chrono::steady_clock;
  void WatchLoop();
  void ReconcileLoop();
  // One pass over every zone; returns when the next deadline is due.
  Clock::time_point ReconcileOnce(bool startup);
  void LaunchZone(const v1::common::Zone& zone);
  // Loads the zone, applies fn to its status and stores and broadcasts it.
  Status Transition(const std::string& id, const std::function<void(v1::common::ZoneStatus&)>& fn);
  void Wake();
  Status SetUpNetwork();
  // Under state_mu_: the new zone's reservation, or ENOSPC / EEXIST (ports).
  Result<ZoneReservation> ReserveLocked(const std::string& id, const v1::common::ZoneSpec& spec);

  ZoneStore& store_;
  runtime::Runtime& runtime_;
  ImageService* images_;  // may be null: every launch fails
  std::shared_ptr<ConsoleHub> consoles_hold_;
  ConsoleHub& consoles_;
  EventBus& events_;
  ZoneManagerOptions options_;
  HostNetwork network_;

  std::mutex state_mu_;  // serialises read-modify-write of zone rows

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool wake_ = false;
  std::map<std::string, Clock::time_point> destroy_deadlines_;  // reconciler thread only
  std::thread watcher_;
  std::thread reconciler_;
};

}  // namespace krata::daemon
