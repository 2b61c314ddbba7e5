#pragma once
// What a PV guest finds at boot: start_info, and the shared_info vcpu_info slots the
// builder initialises. Source: xen/include/public/xen.h (struct start_info, struct
// vcpu_info, struct shared_info, SIF_*), x86_64 layout. start_info is 1168 bytes
// (xen-lab.md §12). These structs are written by the builder into guest memory.

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace krata::xen::abi {

inline constexpr size_t kMaxGuestCmdline = 1024;      // MAX_GUEST_CMDLINE
inline constexpr uint32_t kSifModStartPfn = 1u << 3;  // SIF_MOD_START_PFN

// struct start_info (x86_64: unsigned long and xen_pfn_t are 64-bit).
struct StartInfo {
  char magic[32];  // "xen-3.0-x86_64"
  uint64_t nr_pages;
  uint64_t shared_info;  // machine address
  uint32_t flags;        // SIF_*
  uint32_t pad0;
  uint64_t store_mfn;
  uint32_t store_evtchn;
  uint32_t pad1;
  uint64_t console_mfn;     // console.domU.mfn
  uint32_t console_evtchn;  // console.domU.evtchn
  uint32_t pad2;
  uint64_t pt_base;  // virtual address of the root page table
  uint64_t nr_pt_frames;
  uint64_t mfn_list;   // virtual address of the p2m
  uint64_t mod_start;  // virtual address (or pfn with SIF_MOD_START_PFN) of the initrd
  uint64_t mod_len;
  int8_t cmd_line[kMaxGuestCmdline];
  uint64_t first_p2m_pfn;
  uint64_t nr_p2m_frames;
};
static_assert(sizeof(StartInfo) == 1168);
static_assert(offsetof(StartInfo, nr_pages) == 32 && offsetof(StartInfo, flags) == 48);
static_assert(offsetof(StartInfo, store_mfn) == 56 && offsetof(StartInfo, store_evtchn) == 64);
static_assert(offsetof(StartInfo, console_mfn) == 72);
static_assert(offsetof(StartInfo, console_evtchn) == 80);
static_assert(offsetof(StartInfo, pt_base) == 88 && offsetof(StartInfo, mod_len) == 120);
static_assert(offsetof(StartInfo, cmd_line) == 128);
static_assert(offsetof(StartInfo, first_p2m_pfn) == 1152);
static_assert(std::is_trivially_copyable_v<StartInfo> && std::is_standard_layout_v<StartInfo>);

// shared_info starts with XEN_LEGACY_MAX_VCPUS struct vcpu_info of 64 bytes each; the
// builder masks event upcalls in every one (evtchn_upcall_mask = 1) before boot.
inline constexpr size_t kLegacyMaxVcpus = 32;
inline constexpr size_t kVcpuInfoSize = 64;
inline constexpr size_t kVcpuInfoUpcallPendingOffset = 0;
inline constexpr size_t kVcpuInfoUpcallMaskOffset = 1;

}  // namespace krata::xen::abi
