#pragma once
// The x86_64 PV domain builder: from a loaded kernel and an initrd to a paused domain whose
// vCPU 0 will enter the kernel with start_info, page tables, p2m, console and xenstore rings
// in place. The same steps as libxenguest's xc_dom_* for a PV guest, in this order:
// createdomain, limits, populate memory (2 MiB extents where Xen has them), load the kernel
// and initrd, event channels, page tables + p2m, start_info, hypercall page, pin the root
// table, shared_info, vCPU context, grant-table seeding.
//
// On any failure after createdomain the domain is destroyed before the error returns.
// Not thread-safe (DomainControl is not).

#include <array>
#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "xen/boot/kernel.h"
#include "xen/builder/layout.h"
#include "xen/call/domain_control.h"

namespace krata::xen::builder {

struct BuildConfig {
  std::array<uint8_t, 16> uuid{};  // the domain handle
  uint64_t memory_mib = 128;       // populated at boot: what the guest starts with
  uint64_t max_memory_mib = 128;   // Xen's limit (>= memory_mib), room for ballooning up
  uint32_t vcpus = 1;
  std::string cmdline;
  DomId backend_domid = 0;  // the console and xenstore backend (dom0)
};

struct BuiltDomain {
  DomId domid = 0;
  EvtchnPort store_evtchn = 0;    // in the guest, bound by xenstored after introduce
  EvtchnPort console_evtchn = 0;  // in the guest, bound by our console backend
  Mfn store_mfn = 0;
  Mfn console_mfn = 0;
  PvLayout layout;
};

// Timing of each phase, for benchmarks (microseconds).
struct BuildTimings {
  uint64_t create_us = 0, populate_us = 0, load_us = 0, setup_us = 0;
};

Result<BuiltDomain> BuildPvDomain(DomainControl& dc, const boot::LoadedKernel& kernel,
                                  ByteSpan initrd, const BuildConfig& config,
                                  BuildTimings* timings = nullptr);

// Destroys `domid` unless Release()d: the builder's destroy-on-failure guard.
class DomainReservation {
 public:
  DomainReservation(DomainControl& dc, DomId domid) : dc_(&dc), domid_(domid) {}
  ~DomainReservation();
  DomainReservation(const DomainReservation&) = delete;
  DomainReservation& operator=(const DomainReservation&) = delete;
  DomId Release() {
    dc_ = nullptr;
    return domid_;
  }

 private:
  DomainControl* dc_;
  DomId domid_;
};

}  // namespace krata::xen::builder
