#pragma once
// DomainControl: the typed hypercalls a toolstack issues about one domain: domctl
// (create, limits, vCPU context, pause, destroy, info), memory_op (claim, populate,
// decrease), event_channel_op, mmuext_op (pin the root page table) and foreign mappings.
//
// The domctl interface version is probed once, as upstream krata does: GETDOMAININFO on
// dom0 with each version in abi::kDomctlVersions until Xen stops answering EACCES. Every
// error names the operation and the domain ("domctl max_mem: domain 5: hypercall: ...").
// Not thread-safe: use one per thread or serialise calls.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/result.h"
#include "xen/abi/domctl.h"
#include "xen/abi/vcpu_context.h"
#include "xen/call/mapping.h"
#include "xen/call/privcmd.h"
#include "xen/call/types.h"
#include "xen/call/xencall.h"

namespace krata::xen {

// XEN_DOMCTL_createdomain parameters; defaults are upstream krata's (krata.md §3.2).
struct CreateDomainConfig {
  std::array<uint8_t, 16> handle{};  // the zone's UUID bytes
  uint32_t ssidref = abi::kSecInitSidDomU;
  uint32_t flags = 0;  // abi::kCdf*; 0 = PV
  uint32_t max_vcpus = 1;
  uint32_t max_evtchn_port = 1023;
  int32_t max_grant_frames = -1;     // Xen's default
  int32_t max_maptrack_frames = -1;  // Xen's default
  uint32_t grant_opts = abi::DomctlGrantVersion(2);
  DomId domid = 0;  // 0: Xen picks the next free domid
};

struct DomainInfo {
  DomId domid = 0;
  bool dying = false;
  bool shutdown = false;
  bool paused = false;
  bool running = false;
  bool blocked = false;
  bool hvm = false;
  uint32_t shutdown_reason = 0;  // SHUTDOWN_* (sched.h), valid when shutdown
  uint64_t tot_pages = 0;
  uint64_t max_pages = 0;
  uint64_t outstanding_pages = 0;
  uint64_t shared_info_frame = 0;  // an MFN for PV guests
  uint32_t nr_online_vcpus = 0;
  uint32_t max_vcpu_id = 0;
  uint64_t cpu_time_ns = 0;
  std::array<uint8_t, 16> handle{};

  static DomainInfo From(const abi::DomctlGetDomainInfo& raw);
};

class DomainControl {
 public:
  // `xc` provides the Privcmd and the probed sysctl version (for ListDomains).
  explicit DomainControl(XenCall& xc) : xc_(xc), privcmd_(xc.privcmd()) {}

  // The domctl interface version Xen accepted (probed on first use).
  Result<uint32_t> DomctlInterfaceVersion();

  // --- domctl (xen/include/public/domctl.h) ---
  Result<DomId> CreateDomain(const CreateDomainConfig& config);
  Result<void> SetMaxVcpus(DomId domid, uint32_t max_vcpus);
  Result<void> SetMaxMem(DomId domid, uint64_t max_kib);
  Result<void> SetAddressSize(DomId domid, uint32_t bits);  // 64 for x86_64 PV
  // ESRCH if the domain does not exist (Xen 4.17 would answer about the next one).
  Result<DomainInfo> GetDomainInfo(DomId domid);
  Result<void> SetVcpuContext(DomId domid, uint32_t vcpu, const abi::VcpuGuestContext& ctx);
  // XEN_DOMCTL_hypercall_init: Xen writes the hypercall page into frame `mfn`.
  Result<void> HypercallInit(DomId domid, Mfn mfn);
  Result<void> Pause(DomId domid);
  Result<void> Unpause(DomId domid);
  // Xen restarts a long teardown itself (hypercall continuation); older Xen returned
  // EAGAIN and libxc reissued, so EAGAIN is retried here too. The domain may linger as
  // "dying" until every mapping of its memory is gone.
  Result<void> Destroy(DomId domid);

  // --- sysctl getdomaininfolist: every domain, dom0 included, in domid order ---
  Result<std::vector<DomainInfo>> ListDomains();

  // --- memory_op (xen/include/public/memory.h) ---
  // XENMEM_claim_pages: reserve `pages` (the domain's total target) for it; 0 releases.
  Result<void> ClaimPages(DomId domid, uint64_t pages);
  // XENMEM_populate_physmap: in, the first guest pfn of each 2^order extent; out, for a PV
  // guest, the first MFN of each extent done. Returns how many extents Xen completed,
  // possibly fewer than asked: the caller decides whether a short count is fatal.
  Result<size_t> PopulatePhysmap(DomId domid, uint32_t order, std::span<uint64_t> extents);
  // XENMEM_decrease_reservation of PV extents given by first MFN; returns extents done.
  Result<size_t> DecreaseReservation(DomId domid, uint32_t order,
                                     std::span<const uint64_t> extents);

  // --- event_channel_op (xen/include/public/event_channel.h) ---
  // EVTCHNOP_alloc_unbound: a port in `domid` that `remote` may bind.
  Result<EvtchnPort> AllocUnboundPort(DomId domid, DomId remote);
  // EVTCHNOP_close: closes a port of the calling domain (dom0).
  Result<void> ClosePort(EvtchnPort port);

  // --- mmuext_op (xen/include/public/xen.h) ---
  Result<void> PinL4Table(DomId domid, Mfn mfn);

  // --- mappings (mapping.h) ---
  Result<ForeignMapping> MapForeign(DomId domid, std::span<const uint64_t> mfns, int prot,
                                    const MapOptions& options = {});
  // Grant table frames [frame, frame + nr) via XENMEM_resource_grant_table.
  Result<ForeignMapping> MapGrantTable(DomId domid, uint32_t frame, uint32_t nr);

  Privcmd& privcmd() { return privcmd_; }

 private:
  // Issues the domctl in `buf` (an abi::Domctl) with the probed interface version.
  Result<long> IssueDomctl(HypercallBuffer& buf);
  // A zeroed domctl buffer for `cmd` on `domid`.
  Result<HypercallBuffer> NewDomctl(uint32_t cmd, DomId domid);
  Result<long> MemoryOp(uint64_t cmd, DomId domid, uint32_t order, uint64_t nr,
                        uint64_t extent_start);

  XenCall& xc_;
  Privcmd& privcmd_;
  std::optional<uint32_t> domctl_version_;
};

}  // namespace krata::xen
