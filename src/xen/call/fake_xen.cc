// FakeXen: domains, domctl, sysctl, event channels and mmuext. Memory and mappings are in
// fake_xen_memory.cc. Handler behaviour follows xen/common/domctl.c, sysctl.c,
// event_channel.c and arch/x86/mm.c of Xen 4.17, reduced to what callers can observe.

#include "xen/call/fake_xen.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "xen/abi/event_channel.h"
#include "xen/abi/hypercall.h"

namespace krata::xen {
namespace {

Error Fail(int err) { return Error::FromErrno("hypercall", err); }

constexpr EvtchnPort kDom0MaxPort = 4095;

}  // namespace

FakeXen::FakeXen(FakeHost host) : host_(std::move(host)) {
  if (host_.free_pages > host_.total_pages) host_.free_pages = host_.total_pages;
  int fd = ::memfd_create("fake-xen-memory", MFD_CLOEXEC);
  if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(host_.total_pages * abi::kPageSize)) != 0) {
    std::perror("FakeXen: memfd");
    std::abort();
  }
  memfd_.reset(fd);
  host_view_ = MUST(ScopedMmap::Map(host_.total_pages * abi::kPageSize, PROT_READ | PROT_WRITE,
                                    MAP_SHARED, memfd_.get(), 0));
  owner_.assign(host_.total_pages, kOwnerXen);
  m2p_.assign(host_.total_pages, ~Pfn{0});
  search_hint_ = host_.total_pages - host_.free_pages;
  for (Mfn m = search_hint_; m < host_.total_pages; ++m) owner_[m] = kOwnerFree;
  free_pages_ = host_.free_pages;
  // dom0: running, no memory of its own in this model, a Xen frame as shared_info.
  FakeDomain& dom0 = domains_[0];
  dom0.pause_count = 0;
  dom0.config.max_vcpus = host_.nr_cpus;
  dom0.config.max_evtchn_port = kDom0MaxPort;
  dom0.vcpus_created = true;
  dom0.vcpus.resize(host_.nr_cpus);
  dom0.shared_info_mfn = 1;
}

FakeXen::~FakeXen() = default;

FakeDomain* FakeXen::Find(DomId domid) {
  auto it = domains_.find(domid);
  return it == domains_.end() ? nullptr : &it->second;
}

const FakeDomain* FakeXen::domain(DomId domid) const {
  std::lock_guard lock(mu_);
  auto it = domains_.find(domid);
  return it == domains_.end() ? nullptr : &it->second;
}

std::vector<DomId> FakeXen::domids() const {
  std::lock_guard lock(mu_);
  std::vector<DomId> out;
  for (const auto& [id, d] : domains_) out.push_back(id);
  return out;
}

void FakeXen::ShutdownDomain(DomId domid, uint32_t reason) {
  std::lock_guard lock(mu_);
  if (FakeDomain* d = Find(domid)) {
    d->shutdown = true;
    d->shutdown_reason = reason;
  }
}

void FakeXen::InjectError(uint64_t op, uint64_t cmd, int err, int times) {
  std::lock_guard lock(mu_);
  injections_.push_back({op, cmd, err, times});
}

int FakeXen::TakeInjectedError(uint64_t op, uint64_t cmd) {
  std::lock_guard lock(mu_);
  for (auto it = injections_.begin(); it != injections_.end(); ++it) {
    if (it->op != op || it->cmd != cmd) continue;
    int err = it->err;
    if (--it->times <= 0) injections_.erase(it);
    return err;
  }
  return 0;
}

Result<long> FakeXen::Domctl(abi::Domctl& op) {
  std::lock_guard lock(mu_);
  if (op.interface_version != host_.domctl_version) return Fail(EACCES);
  if (op.cmd == abi::kDomctlCreateDomain) return CreateDomain(op);
  if (op.cmd == abi::kDomctlGetDomainInfo) {
    // Xen 4.17 answers with the first domain whose id is >= the one asked for.
    if (op.domain >= abi::kDomidFirstReserved) return Fail(EINVAL);
    auto it = domains_.lower_bound(op.domain);
    if (it == domains_.end()) return Fail(ESRCH);
    FillInfo(it->second, op.u.getdomaininfo);
    op.domain = it->first;
    return 0;
  }
  FakeDomain* d = Find(op.domain);
  if (d == nullptr) return Fail(ESRCH);
  switch (op.cmd) {
    case abi::kDomctlDestroyDomain:
      return DestroyDomain(*d);
    case abi::kDomctlPauseDomain:
      if (d->domid == 0) return Fail(EINVAL);  // no pausing the caller
      if (d->pause_count >= 255) return Fail(EOVERFLOW);
      ++d->pause_count;
      return 0;
    case abi::kDomctlUnpauseDomain:
      if (d->pause_count == 0) return Fail(EINVAL);
      --d->pause_count;
      return 0;
    case abi::kDomctlMaxMem:
      d->max_pages = op.u.max_mem.max_memkb >> 2;  // KiB to 4 KiB pages
      return 0;
    case abi::kDomctlMaxVcpus:
      // Since Xen 4.12 createdomain sets max_vcpus; this only instantiates them.
      if (op.u.max_vcpus.max != d->config.max_vcpus) return Fail(EINVAL);
      d->vcpus_created = true;
      d->vcpus.resize(d->config.max_vcpus);
      return 0;
    case abi::kDomctlSetAddressSize:
      if (op.u.address_size.size != 32 && op.u.address_size.size != 64) return Fail(EINVAL);
      d->address_size = op.u.address_size.size;
      return 0;
    case abi::kDomctlSetVcpuContext: {
      uint32_t vcpu = op.u.vcpucontext.vcpu;
      if (d->domid == 0 || !d->vcpus_created || vcpu >= d->vcpus.size()) return Fail(EINVAL);
      if (op.u.vcpucontext.ctxt == 0) {
        d->vcpus[vcpu].reset();
        return 0;
      }
      abi::VcpuGuestContext ctx;
      std::memcpy(&ctx, reinterpret_cast<const void*>(op.u.vcpucontext.ctxt), sizeof(ctx));
      d->vcpus[vcpu] = ctx;
      return 0;
    }
    case abi::kDomctlHypercallInit: {
      Mfn mfn = op.u.hypercall_init.gmfn;
      if (mfn >= owner_.size() || owner_[mfn] != d->domid) return Fail(EINVAL);
      d->hypercall_page = mfn;
      return 0;
    }
    default:
      return Fail(ENOSYS);
  }
}

Result<long> FakeXen::CreateDomain(abi::Domctl& op) {
  const abi::DomctlCreateDomain& c = op.u.createdomain;
  if ((c.flags & ~(abi::kCdfIommu)) != 0) return Fail(EINVAL);  // PV only in this fake
  if (c.max_vcpus == 0 || c.arch.emulation_flags != 0) return Fail(EINVAL);
  DomId id = op.domain;
  if (id > 0 && id < abi::kDomidFirstReserved) {
    if (Find(id) != nullptr) return Fail(EEXIST);
  } else {
    // Xen's rover: the next free domid after the last one handed out, wrapping to 1.
    id = rover_;
    do {
      id = static_cast<DomId>(id + 1 >= abi::kDomidFirstReserved ? 1 : id + 1);
    } while (Find(id) != nullptr && id != rover_);
    if (Find(id) != nullptr) return Fail(ENOMEM);
    rover_ = id;
  }
  std::optional<Mfn> shared = AllocFrames(0, kOwnerXen);
  std::optional<Mfn> grant = shared ? AllocFrames(0, kOwnerXen) : std::nullopt;
  if (!grant) {
    if (shared) FreeFrames(*shared, 1);
    return Fail(ENOMEM);
  }
  FakeDomain& d = domains_[id];
  d.domid = id;
  d.config = c;
  d.shared_info_mfn = *shared;
  d.grant_mfn = *grant;
  op.domain = id;
  return 0;
}

Result<long> FakeXen::DestroyDomain(FakeDomain& d) {
  if (d.domid == 0) return Fail(EINVAL);
  if (d.dying) return 0;  // already being torn down: Xen reports success again
  d.dying = true;
  d.ports.clear();
  outstanding_total_ -= d.outstanding_pages;
  d.outstanding_pages = 0;
  if (d.mapping_refs == 0) Reap(d.domid);
  return 0;
}

void FakeXen::Reap(DomId domid) {
  FakeDomain& d = domains_.at(domid);
  // Free every frame the domain owns, in runs so the memfd holes are punched in bulk.
  Mfn run_start = 0;
  uint64_t run_len = 0;
  for (Mfn m = 0; m < owner_.size(); ++m) {
    if (owner_[m] == domid) {
      if (run_len == 0) run_start = m;
      ++run_len;
      continue;
    }
    if (run_len != 0) FreeFrames(run_start, run_len);
    run_len = 0;
  }
  if (run_len != 0) FreeFrames(run_start, run_len);
  FreeFrames(d.shared_info_mfn, 1);
  FreeFrames(d.grant_mfn, 1);
  domains_.erase(domid);
}

void FakeXen::FillInfo(const FakeDomain& d, abi::DomctlGetDomainInfo& out) const {
  std::memset(&out, 0, sizeof(out));
  out.domain = d.domid;
  uint32_t flags = 0;
  if (d.dying) flags |= abi::kDominfDying;
  if (d.shutdown) {
    flags |= abi::kDominfShutdown;
    flags |= (d.shutdown_reason & abi::kDominfShutdownMask) << abi::kDominfShutdownShift;
  }
  uint32_t online = 0;
  for (const auto& v : d.vcpus) {
    if (v && (v->flags & abi::kVgcfOnline) != 0) ++online;
  }
  if (d.domid == 0) online = static_cast<uint32_t>(d.vcpus.size());
  if (d.pause_count > 0) {
    flags |= abi::kDominfPaused;
  } else if (!d.dying && !d.shutdown && online > 0) {
    flags |= abi::kDominfRunning;
  }
  out.flags = flags;
  out.tot_pages = d.tot_pages;
  out.max_pages = d.max_pages;
  out.outstanding_pages = d.outstanding_pages;
  out.shared_info_frame = d.shared_info_mfn;
  out.nr_online_vcpus = online;
  out.max_vcpu_id = d.vcpus.empty() ? ~0u : static_cast<uint32_t>(d.vcpus.size() - 1);
  out.ssidref = d.config.ssidref;
  std::memcpy(out.handle, d.config.handle, sizeof(out.handle));
  out.gpaddr_bits = 52;
}

Result<long> FakeXen::Sysctl(abi::Sysctl& op) {
  std::lock_guard lock(mu_);
  if (op.interface_version != host_.sysctl_version) return Fail(EACCES);
  switch (op.cmd) {
    case abi::kSysctlPhysinfo: {
      abi::SysctlPhysinfo& p = op.u.physinfo;
      p.nr_cpus = host_.nr_cpus;
      p.threads_per_core = 1;
      p.cores_per_socket = host_.nr_cpus;
      p.nr_nodes = 1;
      p.total_pages = host_.total_pages;
      p.free_pages = free_pages_;
      p.outstanding_pages = outstanding_total_;
      p.max_mfn = host_.total_pages - 1;
      return 0;
    }
    case abi::kSysctlGetDomainInfoList:
      return GetDomainInfoList(op.u.getdomaininfolist);
    default:
      return Fail(ENOSYS);
  }
}

Result<long> FakeXen::GetDomainInfoList(abi::SysctlGetDomainInfoList& op) {
  auto* out = reinterpret_cast<abi::DomctlGetDomainInfo*>(op.buffer);
  uint32_t n = 0;
  for (auto it = domains_.lower_bound(op.first_domain); it != domains_.end() && n < op.max_domains;
       ++it) {
    abi::DomctlGetDomainInfo info;
    FillInfo(it->second, info);
    std::memcpy(out + n, &info, sizeof(info));
    ++n;
  }
  op.num_domains = n;
  return 0;
}

Result<long> FakeXen::EventChannelOp(uint64_t cmd, void* arg) {
  std::lock_guard lock(mu_);
  if (cmd == abi::kEvtchnOpAllocUnbound) {
    abi::EvtchnAllocUnbound a;
    std::memcpy(&a, arg, sizeof(a));
    DomId dom = a.dom == abi::kDomidSelf ? 0 : a.dom;
    DomId remote = a.remote_dom == abi::kDomidSelf ? 0 : a.remote_dom;
    FakeDomain* d = Find(dom);
    if (d == nullptr || d->dying) return Fail(ESRCH);
    EvtchnPort port = 1;  // port 0 is never handed out
    while (d->ports.count(port) != 0) ++port;
    if (port > d->config.max_evtchn_port) return Fail(ENOSPC);
    d->ports[port] = remote;
    a.port = port;
    std::memcpy(arg, &a, sizeof(a));
    return 0;
  }
  if (cmd == abi::kEvtchnOpClose) {
    abi::EvtchnClose c;
    std::memcpy(&c, arg, sizeof(c));
    FakeDomain& dom0 = domains_.at(0);  // closes a port of the caller
    if (dom0.ports.erase(c.port) == 0) return Fail(EINVAL);
    return 0;
  }
  return Fail(ENOSYS);
}

Result<long> FakeXen::MmuextOp(const abi::MmuextOp* ops, uint32_t count, uint32_t* done,
                               DomId foreign) {
  std::lock_guard lock(mu_);
  FakeDomain* d = Find(foreign == abi::kDomidSelf ? 0 : foreign);
  if (d == nullptr) return Fail(ESRCH);
  uint32_t i = 0;
  for (; i < count; ++i) {
    const abi::MmuextOp& op = ops[i];
    if (op.cmd == abi::kMmuextPinL4Table) {
      // Xen validates the whole tree; the fake only checks the root is the domain's.
      if (op.arg1 >= owner_.size() || owner_[op.arg1] != d->domid) break;
      d->pinned_l4 = op.arg1;
    } else if (op.cmd == abi::kMmuextUnpinTable) {
      if (d->pinned_l4 != op.arg1) break;
      d->pinned_l4.reset();
    } else {
      break;
    }
  }
  if (done != nullptr) *done = i;
  if (i != count) return Fail(EINVAL);
  return 0;
}

}  // namespace krata::xen
