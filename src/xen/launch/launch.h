#pragma once
// Launching and destroying a PV domain from dom0 with our own stack: build it (builder/),
// declare it and its disks in xenstore and introduce it to xenstored (devices/), attach our console
// backend (console/), unpause. Destroy undoes each step, so nothing is left behind: console
// unmapped and unbound, xenstore nodes removed and the domain released, domain destroyed.
//
// XenHost bundles the dom0 handles every step needs. Not thread-safe.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "xen/boot/kernel.h"
#include "xen/builder/builder.h"
#include "xen/call/domain_control.h"
#include "xen/call/xencall.h"
#include "xen/console/backend.h"
#include "xen/devices/domain.h"
#include "xen/devices/vbd.h"
#include "xen/devices/vif.h"
#include "xen/evtchn/evtchn.h"
#include "xen/gnttab/gnttab.h"
#include "xen/store/client.h"

namespace krata::xen::launch {

struct XenHost {
  std::unique_ptr<Privcmd> privcmd;
  std::unique_ptr<XenCall> xc;
  std::unique_ptr<DomainControl> dc;
  std::unique_ptr<store::XsClient> xs;
  std::unique_ptr<gnttab::GrantMapper> grants;
  std::unique_ptr<evtchn::EventChannels> events;

  // Opens /dev/xen/{privcmd,gntdev,evtchn} and connects to xenstored.
  static Result<XenHost> OpenLinux();
};

// A block device of dom0 handed to the guest through blkback (devices/vbd.h).
struct DiskSpec {
  uint32_t major = 0;
  uint32_t minor = 0;
  std::string device_path;  // informational, e.g. "/dev/loop3"
  bool writable = false;
};

// A network interface served by dom0's netback (devices/vif.h): the guest's eth0, eth1, ...
// in order; dom0 sees vif<domid>.<index>.
struct NicSpec {
  std::array<uint8_t, 6> mac{};
};

struct LaunchSpec {
  std::string name;
  builder::BuildConfig build;
  std::map<std::string, std::string> extra_keys;  // under /local/domain/<domid>/, dom0-owned
  std::vector<std::string> guest_writable_keys;   // empty nodes the guest owns (krata/zone)
  std::vector<DiskSpec> disks;                    // xvda, xvdb, ... in this order
  std::vector<NicSpec> nics;                      // vif handles 0, 1, ... in this order
};

struct DestroyOptions {
  // How long to wait for blkback (netback) to close the vbds (vifs) (state 6) while the
  // guest still runs; a guest that is paused or has shut down cannot answer, so then there is
  // no wait.
  std::chrono::milliseconds vbd_close_timeout{3000};
  // The connection the close handshake watches on (its other events are dropped); null: the
  // host's own.
  store::XsClient* watch_xs = nullptr;
};

struct RunningDomain {
  builder::BuiltDomain built;
  std::unique_ptr<console::ConsoleBackend> console;
  builder::BuildTimings timings;
  uint64_t create_to_unpause_us = 0;  // createdomain .. unpause returned
};

// Builds, declares, introduces, attaches the console, unpauses. On failure nothing remains.
Result<RunningDomain> Launch(XenHost& host, const boot::LoadedKernel& kernel, ByteSpan initrd,
                             const LaunchSpec& spec);

// Tears a domain down completely; idempotent for parts already gone. Order (krata.md §3.10):
// vif and vbd close handshakes, xenstore nodes removed (the backends then let go), domain
// destroyed. The caller detaches loop devices afterwards.
Status Destroy(XenHost& host, RunningDomain& domain, const DestroyOptions& options = {});
Status DestroyDomain(XenHost& host, DomId domid, const DestroyOptions& options = {});

// The domain's state as the hypervisor reports it; nullopt once it no longer exists.
Result<std::optional<DomainInfo>> QueryDomain(XenHost& host, DomId domid);

}  // namespace krata::xen::launch
