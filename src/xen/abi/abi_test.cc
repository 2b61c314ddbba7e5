// Checks our ABI mirrors against Xen's installed public headers (libxen-dev): the same
// role as Xen's tools/include/xen-foreign checker. This is the only file that includes them.

// clang-format off: the Xen headers need this order (privcmd.h uses types from xen.h).
#include <sys/ioctl.h>
#include <cstdint>
#include <cstddef>
#define __XEN_TOOLS__ 1
#include <xen/xen.h>
#include <xen/sysctl.h>
#include <xen/version.h>
#include <xen/io/xs_wire.h>
#include <xen/sys/privcmd.h>
// clang-format on

#include <gtest/gtest.h>

#include "xen/abi/hypercall.h"
#include "xen/abi/sysctl.h"
#include "xen/abi/xs_wire.h"

namespace kabi = krata::xen::abi;

#define EXPECT_SAME_FIELD(ours, theirs, field) \
  EXPECT_EQ(offsetof(ours, field), offsetof(theirs, field)) << #field

TEST(XenAbiTest, HypercallNumbers) {
  EXPECT_EQ(kabi::kHypercallMemoryOp, __HYPERVISOR_memory_op);
  EXPECT_EQ(kabi::kHypercallXenVersion, __HYPERVISOR_xen_version);
  EXPECT_EQ(kabi::kHypercallGrantTableOp, __HYPERVISOR_grant_table_op);
  EXPECT_EQ(kabi::kHypercallMmuextOp, __HYPERVISOR_mmuext_op);
  EXPECT_EQ(kabi::kHypercallEventChannelOp, __HYPERVISOR_event_channel_op);
  EXPECT_EQ(kabi::kHypercallSysctl, __HYPERVISOR_sysctl);
  EXPECT_EQ(kabi::kHypercallDomctl, __HYPERVISOR_domctl);
  EXPECT_EQ(kabi::kXenVerVersion, XENVER_version);
  EXPECT_EQ(kabi::kXenVerExtraversion, XENVER_extraversion);
  EXPECT_EQ(kabi::kXenVerCapabilities, XENVER_capabilities);
  EXPECT_EQ(kabi::kXenExtraversionLen, sizeof(xen_extraversion_t));
  EXPECT_EQ(kabi::kXenCapabilitiesLen, sizeof(xen_capabilities_info_t));
}

TEST(XenAbiTest, PrivcmdIoctls) {
  EXPECT_EQ(sizeof(kabi::PrivcmdHypercall), sizeof(privcmd_hypercall_t));
  EXPECT_EQ(kabi::kIoctlPrivcmdHypercall, IOCTL_PRIVCMD_HYPERCALL);
  EXPECT_EQ(kabi::kIoctlPrivcmdMmapbatchV2, IOCTL_PRIVCMD_MMAPBATCH_V2);
  EXPECT_EQ(kabi::kIoctlPrivcmdMmapResource, IOCTL_PRIVCMD_MMAP_RESOURCE);
}

TEST(XenAbiTest, Sysctl) {
  EXPECT_EQ(kabi::kSysctlVersions[0], static_cast<uint32_t>(XEN_SYSCTL_INTERFACE_VERSION));
  EXPECT_EQ(kabi::kSysctlPhysinfo, static_cast<uint32_t>(XEN_SYSCTL_physinfo));
  EXPECT_EQ(sizeof(kabi::Sysctl), sizeof(struct xen_sysctl));
  EXPECT_EQ(sizeof(kabi::SysctlPhysinfo), sizeof(struct xen_sysctl_physinfo));
  EXPECT_SAME_FIELD(kabi::Sysctl, struct xen_sysctl, interface_version);
  EXPECT_SAME_FIELD(kabi::Sysctl, struct xen_sysctl, u);
  using P = kabi::SysctlPhysinfo;
  using Q = struct xen_sysctl_physinfo;
  EXPECT_SAME_FIELD(P, Q, nr_cpus);
  EXPECT_SAME_FIELD(P, Q, cpu_khz);
  EXPECT_SAME_FIELD(P, Q, total_pages);
  EXPECT_SAME_FIELD(P, Q, free_pages);
  EXPECT_SAME_FIELD(P, Q, max_mfn);
  EXPECT_SAME_FIELD(P, Q, hw_cap);
}

TEST(XenAbiTest, XenstoreWire) {
  EXPECT_EQ(sizeof(kabi::XsMsgHeader), sizeof(struct xsd_sockmsg));
  EXPECT_EQ(kabi::kXsPayloadMax, static_cast<size_t>(XENSTORE_PAYLOAD_MAX));
  EXPECT_EQ(static_cast<uint32_t>(kabi::XsType::kRead), static_cast<uint32_t>(XS_READ));
  EXPECT_EQ(static_cast<uint32_t>(kabi::XsType::kError), static_cast<uint32_t>(XS_ERROR));
  EXPECT_EQ(static_cast<uint32_t>(kabi::XsType::kWatchEvent),
            static_cast<uint32_t>(XS_WATCH_EVENT));
  EXPECT_EQ(static_cast<uint32_t>(kabi::XsType::kIntroduce), static_cast<uint32_t>(XS_INTRODUCE));
  EXPECT_EQ(static_cast<uint32_t>(kabi::XsType::kResetWatches),
            static_cast<uint32_t>(XS_RESET_WATCHES));
}
