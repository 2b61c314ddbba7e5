// Checks the gntdev/gntalloc ABI mirror against Linux's uapi headers as installed by
// libxen-dev (xen/sys/gntdev.h, xen/sys/gntalloc.h) and GNTCOPY_*/GNTST_* from
// xen/grant_table.h. Only this file includes them.

// The uapi headers need uint32_t and _IOC declared first, so order matters.
// clang-format off
#include <cstdint>
#include <cstddef>
#include <sys/ioctl.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/sys/gntdev.h>
#include <xen/sys/gntalloc.h>
// clang-format on

#include <gtest/gtest.h>

#include "xen/abi/gntdev.h"

namespace kabi = krata::xen::abi;

#define EXPECT_SAME_FIELD(ours, theirs, field) \
  EXPECT_EQ(offsetof(ours, field), offsetof(theirs, field)) << #field

TEST(GnttabAbiTest, GntdevIoctlNumbers) {
  EXPECT_EQ(kabi::kIoctlGntdevMapGrantRef, static_cast<unsigned long>(IOCTL_GNTDEV_MAP_GRANT_REF));
  EXPECT_EQ(kabi::kIoctlGntdevUnmapGrantRef,
            static_cast<unsigned long>(IOCTL_GNTDEV_UNMAP_GRANT_REF));
  EXPECT_EQ(kabi::kIoctlGntdevGetOffsetForVaddr,
            static_cast<unsigned long>(IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR));
  EXPECT_EQ(kabi::kIoctlGntdevSetMaxGrants,
            static_cast<unsigned long>(IOCTL_GNTDEV_SET_MAX_GRANTS));
  EXPECT_EQ(kabi::kIoctlGntdevSetUnmapNotify,
            static_cast<unsigned long>(IOCTL_GNTDEV_SET_UNMAP_NOTIFY));
  EXPECT_EQ(kabi::kIoctlGntdevGrantCopy, static_cast<unsigned long>(IOCTL_GNTDEV_GRANT_COPY));
}

TEST(GnttabAbiTest, GntallocIoctlNumbers) {
  EXPECT_EQ(kabi::kIoctlGntallocAllocGref, static_cast<unsigned long>(IOCTL_GNTALLOC_ALLOC_GREF));
  EXPECT_EQ(kabi::kIoctlGntallocDeallocGref,
            static_cast<unsigned long>(IOCTL_GNTALLOC_DEALLOC_GREF));
  EXPECT_EQ(kabi::kIoctlGntallocSetUnmapNotify,
            static_cast<unsigned long>(IOCTL_GNTALLOC_SET_UNMAP_NOTIFY));
  EXPECT_EQ(kabi::kGntallocFlagWritable, GNTALLOC_FLAG_WRITABLE);
  EXPECT_EQ(kabi::kUnmapNotifyClearByte, static_cast<uint32_t>(UNMAP_NOTIFY_CLEAR_BYTE));
  EXPECT_EQ(kabi::kUnmapNotifySendEvent, static_cast<uint32_t>(UNMAP_NOTIFY_SEND_EVENT));
}

TEST(GnttabAbiTest, GntdevStructs) {
  using kabi::GntdevGrantRef;
  EXPECT_EQ(sizeof(GntdevGrantRef), sizeof(struct ioctl_gntdev_grant_ref));
  EXPECT_SAME_FIELD(GntdevGrantRef, struct ioctl_gntdev_grant_ref, ref);

  using M = kabi::GntdevMapGrantRef;
  using LM = struct ioctl_gntdev_map_grant_ref;
  EXPECT_EQ(sizeof(M), sizeof(LM));
  EXPECT_SAME_FIELD(M, LM, count);
  EXPECT_SAME_FIELD(M, LM, index);
  EXPECT_SAME_FIELD(M, LM, refs);
  EXPECT_EQ(kabi::kGntdevMapGrantRefRefsOffset, offsetof(LM, refs));

  using U = kabi::GntdevUnmapGrantRef;
  using LU = struct ioctl_gntdev_unmap_grant_ref;
  EXPECT_EQ(sizeof(U), sizeof(LU));
  EXPECT_SAME_FIELD(U, LU, index);
  EXPECT_SAME_FIELD(U, LU, count);

  using G = kabi::GntdevGetOffsetForVaddr;
  using LG = struct ioctl_gntdev_get_offset_for_vaddr;
  EXPECT_EQ(sizeof(G), sizeof(LG));
  EXPECT_SAME_FIELD(G, LG, vaddr);
  EXPECT_SAME_FIELD(G, LG, offset);
  EXPECT_SAME_FIELD(G, LG, count);

  EXPECT_EQ(sizeof(kabi::GntdevSetMaxGrants), sizeof(struct ioctl_gntdev_set_max_grants));

  using N = kabi::GntUnmapNotify;
  using LN = struct ioctl_gntdev_unmap_notify;
  EXPECT_EQ(sizeof(N), sizeof(LN));
  EXPECT_SAME_FIELD(N, LN, index);
  EXPECT_SAME_FIELD(N, LN, action);
  EXPECT_SAME_FIELD(N, LN, event_channel_port);
}

TEST(GnttabAbiTest, GrantCopy) {
  using S = kabi::GntdevGrantCopySegment;
  using LS = struct ioctl_gntdev_grant_copy_segment;
  EXPECT_EQ(sizeof(S), sizeof(LS));
  EXPECT_SAME_FIELD(S, LS, source);
  EXPECT_SAME_FIELD(S, LS, dest);
  EXPECT_SAME_FIELD(S, LS, len);
  EXPECT_SAME_FIELD(S, LS, flags);
  EXPECT_SAME_FIELD(S, LS, status);
  EXPECT_EQ(sizeof(kabi::GntdevCopyPtr), sizeof(LS::source));
  EXPECT_EQ(offsetof(kabi::GntdevCopyPtr, foreign.offset),
            offsetof(LS, source.foreign.offset) - offsetof(LS, source));
  EXPECT_EQ(offsetof(kabi::GntdevCopyPtr, foreign.domid),
            offsetof(LS, source.foreign.domid) - offsetof(LS, source));

  using C = kabi::GntdevGrantCopy;
  using LC = struct ioctl_gntdev_grant_copy;
  EXPECT_EQ(sizeof(C), sizeof(LC));
  EXPECT_SAME_FIELD(C, LC, count);
  EXPECT_SAME_FIELD(C, LC, segments);

  EXPECT_EQ(kabi::kGntdevCopySourceGref, GNTCOPY_source_gref);
  EXPECT_EQ(kabi::kGntdevCopyDestGref, GNTCOPY_dest_gref);
  EXPECT_EQ(kabi::kGntdevStOkay, GNTST_okay);
}

TEST(GnttabAbiTest, GntallocStructs) {
  using A = kabi::GntallocAllocGref;
  using LA = struct ioctl_gntalloc_alloc_gref;
  EXPECT_EQ(sizeof(A), sizeof(LA));
  EXPECT_SAME_FIELD(A, LA, domid);
  EXPECT_SAME_FIELD(A, LA, flags);
  EXPECT_SAME_FIELD(A, LA, count);
  EXPECT_SAME_FIELD(A, LA, index);
  EXPECT_SAME_FIELD(A, LA, gref_ids);
  EXPECT_EQ(kabi::kGntallocAllocGrefIdsOffset, offsetof(LA, gref_ids));

  using D = kabi::GntallocDeallocGref;
  using LD = struct ioctl_gntalloc_dealloc_gref;
  EXPECT_EQ(sizeof(D), sizeof(LD));
  EXPECT_SAME_FIELD(D, LD, index);
  EXPECT_SAME_FIELD(D, LD, count);

  using N = kabi::GntUnmapNotify;
  using LN = struct ioctl_gntalloc_unmap_notify;
  EXPECT_EQ(sizeof(N), sizeof(LN));
  EXPECT_SAME_FIELD(N, LN, index);
  EXPECT_SAME_FIELD(N, LN, action);
  EXPECT_SAME_FIELD(N, LN, event_channel_port);
}
