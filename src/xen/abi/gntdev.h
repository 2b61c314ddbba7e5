#pragma once
// The Linux /dev/xen/gntdev (map pages other domains granted us) and /dev/xen/gntalloc (grant
// our pages to another domain) driver ABIs.
// Sources: Linux include/uapi/xen/gntdev.h and gntalloc.h (installed by libxen-dev as
// xen/sys/gntdev.h, xen/sys/gntalloc.h); GNTCOPY_* and GNTST_* from
// xen/include/public/grant_table.h. Checked against the installed headers by
// src/xen/gnttab/gnttab_abi_test.cc. Numbers: xen-lab.md §12 (x86_64).
//
// Structs ending in a one-element array are variable-length in the kernel: the ioctl reads
// `count` elements starting at that field's offset. Callers build such arguments in a byte
// buffer at the k*Offset constants below instead of indexing past the array.

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace krata::xen::abi {

// _IOC(_IOC_NONE, 'G', nr, size): gntdev and gntalloc share the 'G' type and number space.
constexpr unsigned long GntIoctl(unsigned nr, size_t size) {
  return (static_cast<unsigned long>(size) << 16) | (static_cast<unsigned long>('G') << 8) | nr;
}

// ---- gntdev ----

// struct ioctl_gntdev_grant_ref
struct GntdevGrantRef {
  uint32_t domid;
  uint32_t ref;
};
// struct ioctl_gntdev_map_grant_ref: `count` refs in; `index` out, the mmap(2) offset.
struct GntdevMapGrantRef {
  uint32_t count;
  uint32_t pad;
  uint64_t index;
  GntdevGrantRef refs[1];
};
inline constexpr size_t kGntdevMapGrantRefRefsOffset = 16;
// struct ioctl_gntdev_unmap_grant_ref
struct GntdevUnmapGrantRef {
  uint64_t index;
  uint32_t count;
  uint32_t pad;
};
// struct ioctl_gntdev_get_offset_for_vaddr
struct GntdevGetOffsetForVaddr {
  uint64_t vaddr;
  uint64_t offset;
  uint32_t count;
  uint32_t pad;
};
// struct ioctl_gntdev_set_max_grants
struct GntdevSetMaxGrants {
  uint32_t count;
};
// struct ioctl_gntdev_unmap_notify, and identically struct ioctl_gntalloc_unmap_notify:
// `index` is the mmap offset plus the byte within the page (the byte cleared on unmap).
struct GntUnmapNotify {
  uint64_t index;
  uint32_t action;  // kUnmapNotify* bits
  uint32_t event_channel_port;
};
inline constexpr uint32_t kUnmapNotifyClearByte = 0x1;
inline constexpr uint32_t kUnmapNotifySendEvent = 0x2;

// The source/dest union of struct ioctl_gntdev_grant_copy_segment: a local virtual address,
// or a foreign (ref, offset, domid) when the segment's flags carry kGntdevCopy*Gref.
union GntdevCopyPtr {
  uint64_t virt;  // void* on x86_64
  struct {
    uint32_t ref;
    uint16_t offset;
    uint16_t domid;
  } foreign;
};
// struct ioctl_gntdev_grant_copy_segment
struct GntdevGrantCopySegment {
  GntdevCopyPtr source;
  GntdevCopyPtr dest;
  uint16_t len;
  uint16_t flags;  // GNTCOPY_*
  int16_t status;  // GNTST_*, out
  uint16_t pad;    // implicit tail padding in the C struct
};
// struct ioctl_gntdev_grant_copy: `segments` is a user pointer to `count` segments.
struct GntdevGrantCopy {
  uint32_t count;
  uint32_t pad;  // implicit in the C struct
  uint64_t segments;
};
inline constexpr uint16_t kGntdevCopySourceGref = 1 << 0;  // GNTCOPY_source_gref
inline constexpr uint16_t kGntdevCopyDestGref = 1 << 1;    // GNTCOPY_dest_gref
inline constexpr int16_t kGntdevStOkay = 0;                // GNTST_okay

static_assert(sizeof(GntdevGrantRef) == 8);
static_assert(sizeof(GntdevMapGrantRef) == 24);
static_assert(offsetof(GntdevMapGrantRef, index) == 8);
static_assert(offsetof(GntdevMapGrantRef, refs) == kGntdevMapGrantRefRefsOffset);
static_assert(sizeof(GntdevUnmapGrantRef) == 16);
static_assert(offsetof(GntdevUnmapGrantRef, count) == 8);
static_assert(sizeof(GntdevGetOffsetForVaddr) == 24);
static_assert(offsetof(GntdevGetOffsetForVaddr, count) == 16);
static_assert(sizeof(GntdevSetMaxGrants) == 4);
static_assert(sizeof(GntUnmapNotify) == 16);
static_assert(offsetof(GntUnmapNotify, event_channel_port) == 12);
static_assert(sizeof(GntdevCopyPtr) == 8);
static_assert(sizeof(GntdevGrantCopySegment) == 24);
static_assert(offsetof(GntdevGrantCopySegment, len) == 16);
static_assert(offsetof(GntdevGrantCopySegment, status) == 20);
static_assert(sizeof(GntdevGrantCopy) == 16);
static_assert(offsetof(GntdevGrantCopy, segments) == 8);
static_assert(std::is_trivially_copyable_v<GntdevMapGrantRef> &&
              std::is_standard_layout_v<GntdevMapGrantRef>);
static_assert(std::is_trivially_copyable_v<GntUnmapNotify> &&
              std::is_standard_layout_v<GntUnmapNotify>);
static_assert(std::is_trivially_copyable_v<GntdevGrantCopySegment> &&
              std::is_standard_layout_v<GntdevGrantCopySegment>);

inline constexpr unsigned long kIoctlGntdevMapGrantRef = GntIoctl(0, sizeof(GntdevMapGrantRef));
inline constexpr unsigned long kIoctlGntdevUnmapGrantRef = GntIoctl(1, sizeof(GntdevUnmapGrantRef));
inline constexpr unsigned long kIoctlGntdevGetOffsetForVaddr =
    GntIoctl(2, sizeof(GntdevGetOffsetForVaddr));
inline constexpr unsigned long kIoctlGntdevSetMaxGrants = GntIoctl(3, sizeof(GntdevSetMaxGrants));
inline constexpr unsigned long kIoctlGntdevSetUnmapNotify = GntIoctl(7, sizeof(GntUnmapNotify));
inline constexpr unsigned long kIoctlGntdevGrantCopy = GntIoctl(8, sizeof(GntdevGrantCopy));

static_assert(kIoctlGntdevMapGrantRef == 0x00184700);
static_assert(kIoctlGntdevUnmapGrantRef == 0x00104701);
static_assert(kIoctlGntdevGetOffsetForVaddr == 0x00184702);
static_assert(kIoctlGntdevSetMaxGrants == 0x00044703);
static_assert(kIoctlGntdevSetUnmapNotify == 0x00104707);
static_assert(kIoctlGntdevGrantCopy == 0x00104708);

// ---- gntalloc ----

// struct ioctl_gntalloc_alloc_gref: `count` pages for `domid`; out: `index` (the mmap offset)
// and `count` grant refs starting at gref_ids.
struct GntallocAllocGref {
  uint16_t domid;
  uint16_t flags;  // kGntallocFlagWritable
  uint32_t count;
  uint64_t index;
  uint32_t gref_ids[1];
};
inline constexpr size_t kGntallocAllocGrefIdsOffset = 16;
inline constexpr uint16_t kGntallocFlagWritable = 1;
// struct ioctl_gntalloc_dealloc_gref
struct GntallocDeallocGref {
  uint64_t index;
  uint32_t count;
};

static_assert(sizeof(GntallocAllocGref) == 24);
static_assert(offsetof(GntallocAllocGref, count) == 4);
static_assert(offsetof(GntallocAllocGref, index) == 8);
static_assert(offsetof(GntallocAllocGref, gref_ids) == kGntallocAllocGrefIdsOffset);
static_assert(sizeof(GntallocDeallocGref) == 16);
static_assert(offsetof(GntallocDeallocGref, count) == 8);
static_assert(std::is_trivially_copyable_v<GntallocAllocGref> &&
              std::is_standard_layout_v<GntallocAllocGref>);

inline constexpr unsigned long kIoctlGntallocAllocGref = GntIoctl(5, sizeof(GntallocAllocGref));
inline constexpr unsigned long kIoctlGntallocDeallocGref = GntIoctl(6, sizeof(GntallocDeallocGref));
inline constexpr unsigned long kIoctlGntallocSetUnmapNotify = GntIoctl(7, sizeof(GntUnmapNotify));

static_assert(kIoctlGntallocAllocGref == 0x00184705);
static_assert(kIoctlGntallocDeallocGref == 0x00104706);
static_assert(kIoctlGntallocSetUnmapNotify == 0x00104707);

inline constexpr size_t kGrantPageSize = 4096;

}  // namespace krata::xen::abi
