#pragma once
// The structures a PV guest starts from: start_info (xen/include/public/xen.h, struct
// start_info) and vCPU 0's register state (arch-x86/xen.h, struct vcpu_guest_context).

#include <cstdint>
#include <span>
#include <string_view>

#include "base/result.h"
#include "xen/abi/start_info.h"
#include "xen/abi/vcpu_context.h"
#include "xen/builder/layout.h"

namespace krata::xen::builder {

struct StartInfoParams {
  Mfn shared_info_mfn = 0;
  EvtchnPort store_evtchn = 0;
  EvtchnPort console_evtchn = 0;
  uint64_t initrd_bytes = 0;
  std::string_view cmdline;
};

// Fills start_info from the layout and the p2m. Refuses command lines that do not fit
// MAX_GUEST_CMDLINE with its NUL.
Result<abi::StartInfo> MakeStartInfo(const PvLayout& layout, std::span<const Mfn> p2m,
                                     const StartInfoParams& params);

// vCPU 0 enters `entry` in kernel mode on the boot stack, with rsi pointing at start_info and
// cr3 at the root table (as libxenguest's vcpu_x86_64 sets it up).
abi::VcpuGuestContext MakeBootVcpuContext(const PvLayout& layout, uint64_t entry, Mfn root_mfn);

}  // namespace krata::xen::builder
