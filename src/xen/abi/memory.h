#pragma once
// XENMEM (HYPERVISOR_memory_op): the reservation ops the PV builder uses.
// Source: xen/include/public/memory.h (Xen 4.17). Numbers: xen-lab.md §12.

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace krata::xen::abi {

// XENMEM_* sub-commands (the first hypercall argument; the second points at the struct).
inline constexpr uint64_t kXenMemIncreaseReservation = 0;
inline constexpr uint64_t kXenMemDecreaseReservation = 1;
inline constexpr uint64_t kXenMemPopulatePhysmap = 6;
inline constexpr uint64_t kXenMemClaimPages = 24;

// XENMEM_resource_* types for IOCTL_PRIVCMD_MMAP_RESOURCE (XENMEM_acquire_resource).
inline constexpr uint32_t kXenMemResourceGrantTable = 1;
inline constexpr uint32_t kXenMemResourceGrantTableIdShared = 0;

// extent_order of a 2 MiB superpage on x86 (PAGE_SHIFT 12, L2 superpage shift 21).
inline constexpr uint32_t kSuperpageOrder = 9;

// struct xen_memory_reservation. extent_start is a guest handle to nr_extents xen_pfn_t
// (uint64_t on x86_64). For populate_physmap they are the guest pfns in; for a PV guest
// (not auto-translated) Xen writes each extent's first MFN back in their place. The op
// returns how many extents it completed, which may be fewer than nr_extents.
// claim_pages uses nr_extents as the page count with extent_order 0 and no extent_start.
struct MemoryReservation {
  uint64_t extent_start;
  uint64_t nr_extents;
  uint32_t extent_order;
  uint32_t mem_flags;  // XENMEMF_*
  uint16_t domid;
  uint16_t pad[3];
};
static_assert(sizeof(MemoryReservation) == 32);
static_assert(offsetof(MemoryReservation, nr_extents) == 8);
static_assert(offsetof(MemoryReservation, extent_order) == 16);
static_assert(offsetof(MemoryReservation, mem_flags) == 20);
static_assert(offsetof(MemoryReservation, domid) == 24);
static_assert(std::is_trivially_copyable_v<MemoryReservation>);

}  // namespace krata::xen::abi
