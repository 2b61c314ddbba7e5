#pragma once
// Daemon: kratad's pieces put together over a store directory:
//   <store>/daemon.lock    flock'ed for the daemon's lifetime (a second kratad is refused)
//   <store>/daemon.socket  the gRPC socket, mode 0600 (root-only API), a stale one replaced
//   <store>/krata.db       zones (ZoneStore)
//   <store>/logs/          zone console logs (ConsoleHub)
//   <store>/host.uuid      this host's id, made once
// The runtime and the image service are the caller's (tests pass fakes) and must outlive
// the Daemon.

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "base/result.h"
#include "base/unique_handle.h"
#include "daemon/console_hub.h"
#include "daemon/control_service.h"
#include "daemon/event_bus.h"
#include "daemon/image_service.h"
#include "daemon/zone_manager.h"
#include "daemon/zone_store.h"
#include "runtime/runtime.h"

namespace krata::daemon {

struct DaemonOptions {
  std::string store_dir = "/var/lib/krata";
  std::string socket_path;  // empty: <store>/daemon.socket
  ZoneManagerOptions zones;
  ConsoleHubOptions consoles;  // log_dir empty: <store>/logs
};

class Daemon {
 public:
  // Takes the lock, opens the store, adopts running zones and starts serving.
  // EWOULDBLOCK when another kratad holds the store.
  static Result<std::unique_ptr<Daemon>> Start(DaemonOptions options, runtime::Runtime& runtime,
                                               ImageService* images);
  ~Daemon();
  // Stops serving and the reconciler (zones keep running). Idempotent.
  void Stop();
  const std::string& socket_path() const { return options_.socket_path; }
  ZoneManager& zones() { return *zones_; }

 private:
  explicit Daemon(DaemonOptions options) : options_(std::move(options)) {}

  DaemonOptions options_;
  UniqueFd lock_;
  std::unique_ptr<ZoneStore> store_;
  std::shared_ptr<ConsoleHub> consoles_;
  EventBus events_;
  std::unique_ptr<ZoneManager> zones_;
  std::unique_ptr<ControlService> service_;
  std::unique_ptr<grpc::Server> server_;
  bool stopped_ = false;
};

// The version kratad reports.
std::string KrataVersion();

}  // namespace krata::daemon
