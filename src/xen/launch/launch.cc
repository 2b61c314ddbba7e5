#include "xen/launch/launch.h"

#include <cerrno>
#include <chrono>

#include "base/log.h"

namespace krata::xen::launch {
namespace {

uint64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<XenHost> XenHost::OpenLinux() {
  XenHost h;
  h.privcmd = TRY(OpenLinuxPrivcmd());
  h.xc = std::make_unique<XenCall>(*h.privcmd);
  h.dc = std::make_unique<DomainControl>(*h.xc);
  h.xs = std::make_unique<store::XsClient>(TRY(store::XsClient::ConnectDefault()));
  h.grants = TRY(gnttab::OpenLinuxGrantMapper());
  h.events = TRY(evtchn::OpenLinuxEventChannels());
  return h;
}

Result<std::optional<DomainInfo>> QueryDomain(XenHost& host, DomId domid) {
  Result<DomainInfo> info = host.dc->GetDomainInfo(domid);
  if (!info.has_value()) {
    if (info.error().errno_value() == ESRCH) return std::optional<DomainInfo>();
    return std::move(info.error());
  }
  return std::optional<DomainInfo>(*info);
}

Result<RunningDomain> Launch(XenHost& host, const boot::LoadedKernel& kernel, ByteSpan initrd,
                             const LaunchSpec& spec) {
  RunningDomain d;
  uint64_t t0 = NowUs();
  d.built = TRY(builder::BuildPvDomain(*host.dc, kernel, initrd, spec.build, &d.timings));
  const DomId domid = d.built.domid;
  auto fail = [&](Error e) -> Error {
    (void)Destroy(host, d);  // best effort; the original error is what matters
    return std::move(e).With("launching domain " + std::to_string(domid));
  };
  devices::DomainDeclaration decl;
  decl.domid = domid;
  decl.uuid = spec.build.uuid;
  decl.name = spec.name.empty() ? "domain-" + std::to_string(domid) : spec.name;
  decl.target_kib = spec.build.memory_mib * 1024;
  decl.max_kib = spec.build.max_memory_mib * 1024;
  decl.vcpus = spec.build.vcpus;
  decl.store_evtchn = d.built.store_evtchn;
  decl.store_mfn = d.built.store_mfn;
  decl.console_evtchn = d.built.console_evtchn;
  decl.console_mfn = d.built.console_mfn;
  decl.cmdline = spec.build.cmdline;
  decl.extra = spec.extra_keys;
  decl.guest_writable = spec.guest_writable_keys;
  if (Status s = devices::DeclareDomain(*host.xs, decl); !s.has_value()) return fail(s.error());
  // Disks in a second transaction, before the guest runs: blkfront probes them at boot.
  std::vector<devices::VbdDeclaration> vbds;
  for (size_t i = 0; i < spec.disks.size(); ++i) {
    devices::VbdDeclaration v;
    v.domid = domid;
    v.index = static_cast<uint32_t>(i);
    v.major = spec.disks[i].major;
    v.minor = spec.disks[i].minor;
    v.device_path = spec.disks[i].device_path;
    v.writable = spec.disks[i].writable;
    vbds.push_back(std::move(v));
  }
  if (Status s = devices::DeclareVbds(*host.xs, vbds); !s.has_value()) return fail(s.error());
  std::vector<devices::VifDeclaration> vifs;
  for (size_t i = 0; i < spec.nics.size(); ++i) {
    devices::VifDeclaration v;
    v.domid = domid;
    v.handle = static_cast<uint32_t>(i);
    v.mac = spec.nics[i].mac;
    vifs.push_back(v);
  }
  if (Status s = devices::DeclareVifs(*host.xs, vifs); !s.has_value()) return fail(s.error());
  if (Status s = devices::IntroduceDomain(*host.xs, decl); !s.has_value()) return fail(s.error());
  // Attach before the guest runs, so not one byte of its console is lost.
  Result<std::unique_ptr<console::ConsoleBackend>> con =
      console::ConsoleBackend::Attach(*host.grants, *host.events, domid, d.built.console_evtchn);
  if (!con.has_value()) return fail(con.error());
  d.console = std::move(*con);
  if (Status s = host.dc->Unpause(domid); !s.has_value()) return fail(s.error());
  d.create_to_unpause_us = NowUs() - t0;
  return d;
}

Status Destroy(XenHost& host, RunningDomain& domain, const DestroyOptions& options) {
  domain.console.reset();  // unmap the ring and unbind the port first: they pin the domain
  return DestroyDomain(host, domain.built.domid, options);
}

Status DestroyDomain(XenHost& host, DomId domid, const DestroyOptions& options) {
  Result<std::optional<DomainInfo>> info = QueryDomain(host, domid);
  // Only a running guest can answer the handshake (a paused one never ran its frontend).
  const bool running = info.has_value() && info->has_value() && !(*info)->shutdown &&
                       !(*info)->dying && !(*info)->paused;
  // Best effort: whatever the handshake did, removing the backend nodes makes the backends let
  // go.
  store::XsClient& wxs = options.watch_xs != nullptr ? *options.watch_xs : *host.xs;
  Result<bool> vifs_closed = devices::CloseVifs(
      wxs, domid, running ? options.vbd_close_timeout : std::chrono::milliseconds(0));
  if (running && vifs_closed.has_value() && !*vifs_closed) {
    spdlog::warn("domain {}: vif backends did not close within {} ms; removing them anyway", domid,
                 options.vbd_close_timeout.count());
  }
  Result<bool> closed = devices::CloseVbds(
      wxs, domid, running ? options.vbd_close_timeout : std::chrono::milliseconds(0));
  if (running && closed.has_value() && !*closed) {
    spdlog::warn("domain {}: vbd backends did not close within {} ms; removing them anyway", domid,
                 options.vbd_close_timeout.count());
  }
  Status xs = devices::RemoveDomain(*host.xs, domid);
  if (info.has_value()) info = QueryDomain(host, domid);
  Status dom = info.has_value() && !info->has_value() ? Status() : host.dc->Destroy(domid);
  if (!dom.has_value()) return dom;
  if (!xs.has_value()) return xs;
  if (!closed.has_value()) return std::move(closed.error());
  if (!vifs_closed.has_value()) return std::move(vifs_closed.error());
  return {};
}

}  // namespace krata::xen::launch
