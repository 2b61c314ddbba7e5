#pragma once
// FakeXen: a small, deterministic model of a Xen host for unit tests of everything above
// privcmd. It keeps what the PV domain builder and the toolstack touch: domains (domid
// allocation, pause state, vCPUs and their contexts, max_mem, claims), machine memory
// (frames backed by a memfd, so a foreign mapping really aliases the "guest" frames and a
// test can read what a builder wrote), per-domain p2m, shared_info and grant-table frame 0,
// event channels, pinned L4 tables and the hypercall page. FakePrivcmd (fake_privcmd.h)
// is its Privcmd face.
//
// Semantics follow Xen 4.17 where they matter to callers: EACCES on a wrong domctl/sysctl
// interface version; GETDOMAININFO answers with the first domain >= the one asked for;
// new domains start paused; populate_physmap returns a short count instead of failing
// (max_mem exceeded, out of memory or claims) and, for PV, writes each extent's MFN back;
// foreign mappings of a PV domain take MFNs it owns; destroydomain leaves a dying zombie
// while mappings of its memory exist, reaped when the last one goes.
//
// Not thread-safe beyond one mutex around every entry point. Must outlive every mapping it
// handed out.

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/scoped_mmap.h"
#include "base/unique_handle.h"
#include "xen/abi/domctl.h"
#include "xen/abi/memory.h"
#include "xen/abi/mmuext.h"
#include "xen/abi/sysctl.h"
#include "xen/abi/vcpu_context.h"
#include "xen/call/privcmd.h"
#include "xen/call/types.h"

namespace krata::xen {

struct FakeHost {
  uint32_t major = 4, minor = 17;
  std::string extra = ".7-fake";
  std::string capabilities = "xen-3.0-x86_64 hvm-3.0-x86_64";
  uint32_t sysctl_version = 0x15;  // the only sysctl interface version this fake accepts
  uint32_t domctl_version = 0x15;  // the only domctl interface version this fake accepts
  uint32_t nr_cpus = 2;
  // Machine memory: frames [total_pages - free_pages, total_pages) start free; the rest
  // belong to Xen and dom0. The backing memfd is sparse: only touched frames cost memory.
  uint64_t total_pages = 262144, free_pages = 100000;
};

struct FakeDomain {
  DomId domid = 0;
  abi::DomctlCreateDomain config{};
  uint32_t pause_count = 1;  // by the controller; Xen creates domains paused
  bool dying = false;
  bool shutdown = false;
  uint32_t shutdown_reason = 0;
  bool vcpus_created = false;  // XEN_DOMCTL_max_vcpus done
  std::vector<std::optional<abi::VcpuGuestContext>> vcpus;
  uint64_t max_pages = 0;
  uint64_t tot_pages = 0;
  uint64_t outstanding_pages = 0;  // claimed, not yet allocated
  uint32_t address_size = 0;
  std::map<Pfn, Mfn> p2m;  // as populate_physmap assigned it
  Mfn shared_info_mfn = 0;
  Mfn grant_mfn = 0;  // grant table frame 0
  std::optional<Mfn> pinned_l4;
  std::optional<Mfn> hypercall_page;
  std::map<EvtchnPort, DomId> ports;  // unbound ports -> the remote domain allowed to bind
  int mapping_refs = 0;               // live foreign/resource mappings of this domain
};

class FakeXen {
 public:
  explicit FakeXen(FakeHost host = {});
  ~FakeXen();
  FakeXen(const FakeXen&) = delete;
  FakeXen& operator=(const FakeXen&) = delete;

  FakeHost& host() { return host_; }

  // Hypercall entry points; the arguments point into the caller's hypercall buffers.
  Result<long> Domctl(abi::Domctl& op);
  Result<long> Sysctl(abi::Sysctl& op);
  Result<long> MemoryOp(uint64_t cmd, void* arg);
  Result<long> EventChannelOp(uint64_t cmd, void* arg);
  Result<long> MmuextOp(const abi::MmuextOp* ops, uint32_t count, uint32_t* done, DomId foreign);
  // privcmd mapping entry points (see Privcmd).
  Result<ForeignMapping> ReserveMapping(size_t pages, int prot);
  Result<void> MmapBatch(DomId dom, std::byte* addr, std::span<const uint64_t> frames,
                         std::span<int> errs);
  Result<void> MmapResource(DomId dom, uint32_t type, uint32_t id, uint32_t frame, uint32_t nr,
                            std::byte* addr);

  // Inspection. Pointers stay valid until the domain is reaped.
  const FakeDomain* domain(DomId domid) const;
  std::vector<DomId> domids() const;  // includes dom0 and dying domains
  // The host view of machine frame `mfn` (4 KiB), shared with every mapping of it.
  std::span<std::byte> frame(Mfn mfn) const;
  size_t live_mappings() const;
  uint64_t free_pages() const;
  uint64_t outstanding_claims() const;

  // Simulation.
  void ShutdownDomain(DomId domid, uint32_t reason);
  // The next `times` attempts to map `mfn` report it paged out (-ENOENT).
  void PageOut(Mfn mfn, int times);
  // The next `times` hypercalls `op` with sub-command `cmd` (domctl/sysctl cmd, memory_op
  // or event_channel_op cmd, mmuext cmd of the first op) fail with `err`, without effect.
  void InjectError(uint64_t op, uint64_t cmd, int err, int times = 1);
  // Used by FakePrivcmd: consumes one injected error for (op, cmd), or returns 0.
  int TakeInjectedError(uint64_t op, uint64_t cmd);

 private:
  struct Region {
    size_t pages = 0;
    int prot = 0;
    bool filled = false;       // a first MmapBatch/MmapResource covered the whole range
    std::vector<bool> mapped;  // per page
    std::set<DomId> refs;
  };
  static constexpr uint16_t kOwnerFree = 0xFFFF;
  static constexpr uint16_t kOwnerXen = 0x7FF2;  // DOMID_XEN

  // Domains (fake_xen.cc).
  FakeDomain* Find(DomId domid);
  Result<long> CreateDomain(abi::Domctl& op);
  Result<long> DestroyDomain(FakeDomain& d);
  void FillInfo(const FakeDomain& d, abi::DomctlGetDomainInfo& out) const;
  Result<long> GetDomainInfoList(abi::SysctlGetDomainInfoList& op);
  void Reap(DomId domid);

  // Memory (fake_xen_memory.cc).
  std::optional<Mfn> AllocFrames(uint32_t order, uint16_t owner);
  void FreeFrames(Mfn mfn, uint64_t count);
  bool AllocForDomain(FakeDomain& d, uint32_t order, Mfn* out);
  Result<long> ClaimPages(const abi::MemoryReservation& r);
  Result<long> Populate(abi::MemoryReservation& r);
  Result<long> Decrease(abi::MemoryReservation& r);
  void ReleaseRegion(uintptr_t addr);
  Result<void> MapInto(Region& region, uintptr_t base, std::byte* at, Mfn mfn, DomId dom);

  mutable std::mutex mu_;
  FakeHost host_;
  UniqueFd memfd_;
  ScopedMmap host_view_;
  std::vector<uint16_t> owner_;  // per machine frame
  std::vector<Pfn> m2p_;         // per machine frame, for domain-owned frames
  uint64_t free_pages_ = 0;
  uint64_t outstanding_total_ = 0;
  Mfn search_hint_ = 0;
  std::map<DomId, FakeDomain> domains_;
  DomId rover_ = 0;
  std::map<uintptr_t, Region> regions_;
  std::map<Mfn, int> paged_out_;
  struct Injection {
    uint64_t op, cmd;
    int err, times;
  };
  std::vector<Injection> injections_;
};

}  // namespace krata::xen
