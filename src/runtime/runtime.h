#pragma once
// The zone runtime: turns a packed image plus a launch config into a running Xen PV domain and
// back. kratad is its only user; it talks to it only through this interface, so the daemon's
// tests run against FakeRuntime (fake_runtime.h) and the real one (OpenLinuxRuntime) runs in
// the lab.
//
// Launch = config bundle (xvdb file under <store>/zones/<id>/) + read-only loop devices for
// the image (xvda) and the config (xvdb) + domain build + domain/vbd/console xenstore entries
// (+ vif 0, the guest's eth0, when the config has a network) + unpause. Destroy = the reverse; it leaves no domain, loop device, temp file or xenstore
// node. Every zone domain carries /local/domain/<domid>/krata/uuid, so List() finds zones
// after a daemon restart.
//
// The guest (krata-zone) reports its workload's end by writing, under
// /local/domain/<domid>/krata/zone/, "exit-code" (decimal) and, when a signal killed it,
// "exit-signal" (decimal signal number), then powers the domain off.
//
// Thread-safe: every method may be called from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "zone/config/launch_config.h"

namespace krata::runtime {

using DomId = uint16_t;

struct ZoneAssets {
  std::string kernel_path;  // PV kernel: bzImage or ELF
  std::string initrd_path;  // the zone initramfs (krata-zone + modules)
};

struct LaunchRequest {
  std::string zone_id;     // UUID; the domain is named "krata-<zone_id>" unless name is set
  std::string name;        // optional, shown as the domain name when set
  std::string image_path;  // packed image file (squashfs or erofs per config.root_format)
  zone::LaunchConfig config;
  ZoneAssets assets;
  uint64_t memory_mib = 256;
  uint32_t vcpus = 1;
  std::string cmdline_append;  // appended to "console=hvc0 quiet"
};

struct ZoneExit {
  int code = 0;    // exit status when signal == 0
  int signal = 0;  // nonzero: the workload was killed by this signal
};

// A zone domain as Xen and xenstore see it now.
struct ZoneDomain {
  DomId domid = 0;
  std::string zone_id;
  bool shut_down = false;        // the domain is no longer running (powered off, crashed)
  std::optional<ZoneExit> exit;  // what the guest reported, if it did
};

// Console output of one zone, delivered on the runtime's console thread. Must not block.
using ConsoleOutputFn = std::function<void(const std::string& zone_id, std::string_view bytes)>;

class Runtime {
 public:
  virtual ~Runtime() = default;

  // Builds and starts the zone; returns its domid. On failure nothing is left behind.
  virtual Result<DomId> Launch(const LaunchRequest& request) = 0;

  // Asks the guest to stop (xenstore control/shutdown = "poweroff"); krata-zone then sends
  // SIGTERM to the workload, SIGKILL after the config's grace period, reports and powers off.
  virtual Status RequestShutdown(const std::string& zone_id) = 0;

  // Destroys the zone's domain and everything Launch created. Idempotent: a zone whose
  // domain is already gone still gets its loop devices, files and xenstore nodes removed.
  virtual Status Destroy(const std::string& zone_id) = 0;

  // Every domain carrying krata/uuid, with the exit the guest reported.
  virtual Result<std::vector<ZoneDomain>> List() = 0;

  // Blocks until some domain changed state (xenstore @releaseDomain) or the timeout passed.
  // Returns true if something changed. Used by the daemon's reconciler instead of polling.
  virtual Result<bool> WaitForChange(std::chrono::milliseconds timeout) = 0;

  // Console: output of every running zone goes to the handler (set once, before Launch);
  // input is queued to the zone's console ring.
  virtual void SetConsoleHandler(ConsoleOutputFn handler) = 0;
  virtual Status WriteConsole(const std::string& zone_id, std::string_view bytes) = 0;
};

struct RuntimeOptions {
  std::string store_dir = "/var/lib/krata";  // zone files live in <store>/zones/<zone_id>/
};

// The real runtime over /dev/xen/* and xenstored.
Result<std::unique_ptr<Runtime>> OpenLinuxRuntime(const RuntimeOptions& options);

}  // namespace krata::runtime
