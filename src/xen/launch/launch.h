#pragma once
// Launching and destroying a PV domain from dom0 with our own stack: build it (builder/),
// declare it in xenstore and introduce it to xenstored (devices/), attach our console
// backend (console/), unpause. Destroy undoes each step, so nothing is left behind: console
// unmapped and unbound, xenstore nodes removed and the domain released, domain destroyed.
//
// XenHost bundles the dom0 handles every step needs. Not thread-safe.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/result.h"
#include "xen/boot/kernel.h"
#include "xen/builder/builder.h"
#include "xen/call/domain_control.h"
#include "xen/call/xencall.h"
#include "xen/console/backend.h"
#include "xen/devices/domain.h"
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

struct LaunchSpec {
  std::string name;
  builder::BuildConfig build;
  std::map<std::string, std::string> extra_keys;  // under /local/domain/<domid>/
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

// Tears a domain down completely; idempotent for parts already gone.
Status Destroy(XenHost& host, RunningDomain& domain);
Status DestroyDomain(XenHost& host, DomId domid);

// The domain's state as the hypervisor reports it; nullopt once it no longer exists.
Result<std::optional<DomainInfo>> QueryDomain(XenHost& host, DomId domid);

}  // namespace krata::xen::launch
