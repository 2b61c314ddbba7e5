#pragma once
// Writes the initial 4-level page tables and the p2m array of an x86_64 PV guest.
// Entry formats: Intel SDM vol. 3 §4.5; Xen's PV rules (xen/include/public/xen.h,
// docs/misc/pvh... for PV: page-table frames must be mapped read-only in the guest's own
// tables, or pinning them fails).

#include <cstdint>
#include <span>

#include "base/result.h"
#include "xen/builder/guest_pages.h"
#include "xen/builder/layout.h"

namespace krata::xen::builder {

inline constexpr uint64_t kPtePresent = 1u << 0;
inline constexpr uint64_t kPteRw = 1u << 1;
inline constexpr uint64_t kPteUser = 1u << 2;
inline constexpr uint64_t kPteAccessed = 1u << 5;
inline constexpr uint64_t kPteDirty = 1u << 6;
// What libxenguest uses for a PV guest's boot tables (xg_dom_x86.c L1_PROT / L2_PROT...).
inline constexpr uint64_t kL1Prot = kPtePresent | kPteRw | kPteAccessed;
inline constexpr uint64_t kUpperProt = kPtePresent | kPteRw | kPteAccessed | kPteDirty | kPteUser;
inline constexpr uint64_t kPteAddrMask = 0x000ffffffffff000ull;

// Zeroes and fills every table of layout.initial and layout.p2m_map. p2m[pfn] is the MFN of
// each guest page (size == layout.total_pages).
Status WritePageTables(const PvLayout& layout, std::span<const Mfn> p2m, GuestPages& mem);

// Copies the p2m array into its pages (the guest's mfn_list).
Status WriteP2m(const PvLayout& layout, std::span<const Mfn> p2m, GuestPages& mem);

}  // namespace krata::xen::builder
