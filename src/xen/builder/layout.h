#pragma once
// The x86_64 PV boot layout: where the kernel, initrd, start_info, rings, page tables, boot
// stack and p2m go in the new domain's pseudo-physical memory, and which virtual ranges the
// initial page tables map. Pure arithmetic, no hypercalls.
//
// The contract comes from xen/include/public/xen.h ("start_info" comment): the guest is entered
// with [virt_base, virt_pgtab_end) mapped, covering the kernel, start_info, the xenstore and
// console pages, the bootstrap page tables, the boot stack and at least 512 KiB of padding, the
// whole rounded up to 4 MiB. Kernels with an INIT_P2M note get the p2m as a second mapping at
// that address; kernels with MOD_START_PFN get the initrd outside the initial mapping.

#include <cstdint>
#include <optional>

#include "base/result.h"
#include "xen/call/types.h"

namespace krata::xen::builder {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kPageShift = 12;

// What the layout needs from the kernel's Xen ELF notes (xen/boot).
struct KernelImage {
  uint64_t virt_base = 0;    // VIRT_BASE
  uint64_t virt_kstart = 0;  // first virtual byte of the loaded kernel (page-aligned)
  uint64_t virt_kend = 0;    // end of the loaded kernel (exclusive)
  uint64_t init_p2m = 0;     // INIT_P2M, or 0 when the p2m goes in the initial mapping
  bool unmapped_initrd = false;  // MOD_START_PFN: the initrd may live outside the mapping
};

struct Segment {
  uint64_t vstart = 0;  // virtual address when mapped
  Pfn pfn = 0;
  uint64_t pages = 0;
  uint64_t vend() const { return vstart + pages * kPageSize; }
  Pfn pfn_end() const { return pfn + pages; }
};

// The page tables that map [vstart, vend): counts per level and where they live.
// Tables are laid out L4 (if owned), then every L3, every L2, every L1.
struct Mapping {
  uint64_t vstart = 0, vend = 0;
  Pfn tables_pfn = 0;
  uint32_t l4 = 0, l3 = 0, l2 = 0, l1 = 0;
  uint32_t tables() const { return l4 + l3 + l2 + l1; }
};

struct PvLayout {
  uint64_t total_pages = 0;
  Segment kernel, initrd, start_info, xenstore, console, page_tables, boot_stack, p2m;
  Mapping initial;               // [virt_base, virt_pgtab_end): also owns the root L4
  std::optional<Mapping> p2m_map;  // the p2m at INIT_P2M (its tables end the p2m segment)
  uint64_t virt_pgtab_end = 0;
  uint64_t p2m_data_pages = 0;  // pages of the p2m array itself (8 bytes per guest page)
  Pfn used_pages = 0;           // pfns [0, used_pages) are taken by the layout

  // Virtual address -> pfn inside the initial mapping.
  Pfn InitialPfn(uint64_t va) const { return (va - initial.vstart) >> kPageShift; }
  Pfn RootTablePfn() const { return initial.tables_pfn; }
  uint64_t RootTableVaddr() const { return page_tables.vstart; }
  bool IsPageTableFrame(Pfn pfn) const;
};

// Lays out a guest of total_pages 4 KiB pages. Errors if the kernel's notes are inconsistent
// (unaligned, below VIRT_BASE, overlapping INIT_P2M) or the memory is too small.
Result<PvLayout> ComputeLayout(const KernelImage& kernel, uint64_t total_pages,
                               uint64_t initrd_bytes);

// Page tables needed to map [vstart, vend) with 4-level paging, not counting the root.
Mapping CountTables(uint64_t vstart, uint64_t vend);

}  // namespace krata::xen::builder
