#include "xen/builder/boot_info.h"

#include <cstring>
#include <string>

namespace krata::xen::builder {

Result<abi::StartInfo> MakeStartInfo(const PvLayout& l, std::span<const Mfn> p2m,
                                     const StartInfoParams& p) {
  if (p.cmdline.size() >= abi::kMaxGuestCmdline) {
    return Error::Invalid("start_info", "kernel command line of " +
                                            std::to_string(p.cmdline.size()) +
                                            " bytes exceeds Xen's limit of 1023");
  }
  if (p2m.size() != l.total_pages) return Error::Invalid("start_info", "p2m size mismatch");
  abi::StartInfo si{};
  static constexpr char kMagic[] = "xen-3.0-x86_64";
  std::memcpy(si.magic, kMagic, sizeof kMagic);
  si.nr_pages = l.total_pages;
  si.shared_info = p.shared_info_mfn << kPageShift;
  si.store_mfn = p2m[l.xenstore.pfn];
  si.store_evtchn = p.store_evtchn;
  si.console_mfn = p2m[l.console.pfn];
  si.console_evtchn = p.console_evtchn;
  si.pt_base = l.RootTableVaddr();
  si.nr_pt_frames = l.initial.tables();
  si.mfn_list = l.p2m.vstart;
  if (p.initrd_bytes > 0) {
    // An initrd outside the initial mapping is given by pfn (Linux's MOD_START_PFN note).
    bool by_pfn = l.initrd.vstart >= l.virt_pgtab_end;
    si.flags = by_pfn ? abi::kSifModStartPfn : 0;
    si.mod_start = by_pfn ? l.initrd.pfn : l.initrd.vstart;
    si.mod_len = p.initrd_bytes;
  }
  std::memcpy(si.cmd_line, p.cmdline.data(), p.cmdline.size());
  if (l.p2m_map) {
    si.first_p2m_pfn = l.p2m.pfn;
    si.nr_p2m_frames = l.p2m.pages;
  }
  return si;
}

abi::VcpuGuestContext MakeBootVcpuContext(const PvLayout& l, uint64_t entry, Mfn root_mfn) {
  abi::VcpuGuestContext c{};
  c.user_regs.rip = entry;
  c.user_regs.rsp = l.boot_stack.vend();
  c.user_regs.rsi = l.start_info.vstart;
  c.user_regs.rflags = 1u << 9;  // IF
  c.user_regs.cs = abi::kFlatKernelCs64;
  c.user_regs.ss = abi::kFlatKernelSs64;
  // ds/es/fs/gs stay 0 (FLAT_KERNEL_DS64 is the null selector on x86_64).
  c.kernel_ss = abi::kFlatKernelSs64;
  c.kernel_sp = c.user_regs.rsp;
  c.flags = abi::kVgcfInKernel | abi::kVgcfOnline;
  c.ctrlreg[3] = root_mfn << kPageShift;  // xen_pfn_to_cr3 on x86_64
  c.debugreg[6] = 0xffff0ff0;  // architectural reset values
  c.debugreg[7] = 0x00000400;
  return c;
}

}  // namespace krata::xen::builder
