#pragma once
// What a PV domain builder needs to know about a kernel, derived from its Xen ELF notes and
// PT_LOAD layout, and the checks that refuse kernels it cannot boot. Rules follow Xen's
// libelf (elf_xen_note_check, elf_xen_addr_calc_check in libelf-dominfo.c) and the note
// definitions in xen/include/public/elfnote.h.

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "xen/boot/elf.h"
#include "xen/boot/xen_notes.h"

namespace krata::xen::boot {

// Largest kernel image (phys_end - phys_start) accepted; Linux is tens of MiB.
inline constexpr uint64_t kMaxKernelSpan = 1ull << 30;

struct PvKernelInfo {
  uint64_t entry = 0;                      // ENTRY: virtual address of the PV entry point
  uint64_t virt_base = 0;                  // VIRT_BASE
  uint64_t paddr_offset = 0;               // PADDR_OFFSET (0 when absent, as for modern notes)
  std::optional<uint64_t> hypercall_page;  // HYPERCALL_PAGE (Linux >= 5.x has none)
  std::optional<uint64_t> init_p2m;        // INIT_P2M: where to map the p2m, if given
  std::optional<uint64_t> hv_start_low;    // HV_START_LOW
  std::optional<uint64_t> phys32_entry;    // PHYS32_ENTRY (PVH; unused for PV)
  uint64_t mod_start_pfn = 0;              // MOD_START_PFN: non-zero = initrd may be unmapped
  uint64_t suspend_cancel = 0;
  uint32_t features_supported = 0;  // FEATURES (all listed) | SUPPORTED_FEATURES
  uint32_t features_required = 0;   // FEATURES entries with '!'
  std::string xen_version, guest_os, guest_version, loader, pae_mode, features;

  // Layout: physical range over PT_LOAD, and its virtual image.
  uint64_t phys_start = 0;   // min p_paddr
  uint64_t phys_end = 0;     // max p_paddr + p_memsz
  uint64_t virt_offset = 0;  // virt_base - paddr_offset
  uint64_t virt_kstart = 0;  // phys_start + virt_offset
  uint64_t virt_kend = 0;    // phys_end + virt_offset

  bool unmapped_initrd() const { return mod_start_pfn != 0; }
  uint64_t kernel_size() const { return phys_end - phys_start; }
};

// Judges the notes and computes the layout. Errors, each saying what is wrong:
//  - no "Xen" notes at all: "kernel has no Xen ELF notes: not a Xen PV-capable kernel
//    (needs CONFIG_XEN_PV)";
//  - no ENTRY (e.g. a PVH-only kernel) or no VIRT_BASE;
//  - LOADER not "generic" and GUEST_OS not "linux", or XEN_VERSION not "xen-3.0";
//  - a required FEATURES entry that is unknown or that the builder does not provide
//    (kBuilderFeatures), naming it; BSD_SYMTAB "yes" (symbol table loading unsupported);
//  - PADDR_OFFSET above VIRT_BASE or the layout overflowing, a kernel larger than
//    kMaxKernelSpan or empty, ENTRY or HYPERCALL_PAGE outside the kernel, INIT_P2M inside it.
Result<PvKernelInfo> CheckPvKernel(const XenNotes& notes, const ElfImage& image);

// ParseXenNotes + CheckPvKernel.
Result<PvKernelInfo> ReadPvKernelInfo(ByteSpan file, const ElfImage& image);

}  // namespace krata::xen::boot
