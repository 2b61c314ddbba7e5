// Checks our ABI mirrors against Xen's installed public headers (libxen-dev): the same
// role as Xen's tools/include/xen-foreign checker. This is the only file that includes them.

// The Xen headers need this order (privcmd.h uses types from xen.h; domctl.h and
// sysctl.h need __XEN_TOOLS__), so clang-format must not sort them.
// clang-format off
#include <sys/ioctl.h>
#include <cstdint>
#include <cstddef>
#define __XEN_TOOLS__ 1
#include <xen/xen.h>
#include <xen/sysctl.h>
#include <xen/domctl.h>
#include <xen/memory.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/version.h>
#include <xen/io/xs_wire.h>
#include <xen/sys/privcmd.h>
// clang-format on

#include <gtest/gtest.h>

#include "xen/abi/domctl.h"
#include "xen/abi/event_channel.h"
#include "xen/abi/grant_table.h"
#include "xen/abi/hypercall.h"
#include "xen/abi/memory.h"
#include "xen/abi/mmuext.h"
#include "xen/abi/start_info.h"
#include "xen/abi/sysctl.h"
#include "xen/abi/vcpu_context.h"
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

TEST(XenAbiTest, PrivcmdMappingStructs) {
  EXPECT_EQ(sizeof(kabi::PrivcmdMmapbatchV2), sizeof(privcmd_mmapbatch_v2_t));
  EXPECT_SAME_FIELD(kabi::PrivcmdMmapbatchV2, privcmd_mmapbatch_v2_t, num);
  EXPECT_SAME_FIELD(kabi::PrivcmdMmapbatchV2, privcmd_mmapbatch_v2_t, dom);
  EXPECT_SAME_FIELD(kabi::PrivcmdMmapbatchV2, privcmd_mmapbatch_v2_t, addr);
  EXPECT_SAME_FIELD(kabi::PrivcmdMmapbatchV2, privcmd_mmapbatch_v2_t, arr);
  EXPECT_SAME_FIELD(kabi::PrivcmdMmapbatchV2, privcmd_mmapbatch_v2_t, err);
  EXPECT_EQ(sizeof(kabi::PrivcmdMmapResource), sizeof(privcmd_mmap_resource_t));
  EXPECT_SAME_FIELD(kabi::PrivcmdMmapResource, privcmd_mmap_resource_t, dom);
  EXPECT_SAME_FIELD(kabi::PrivcmdMmapResource, privcmd_mmap_resource_t, type);
  EXPECT_SAME_FIELD(kabi::PrivcmdMmapResource, privcmd_mmap_resource_t, id);
  EXPECT_SAME_FIELD(kabi::PrivcmdMmapResource, privcmd_mmap_resource_t, idx);
  EXPECT_SAME_FIELD(kabi::PrivcmdMmapResource, privcmd_mmap_resource_t, num);
  EXPECT_SAME_FIELD(kabi::PrivcmdMmapResource, privcmd_mmap_resource_t, addr);
}

TEST(XenAbiTest, Domctl) {
  EXPECT_EQ(kabi::kDomctlVersions[0], static_cast<uint32_t>(XEN_DOMCTL_INTERFACE_VERSION));
  EXPECT_EQ(sizeof(kabi::Domctl), sizeof(struct xen_domctl));
  EXPECT_SAME_FIELD(kabi::Domctl, struct xen_domctl, cmd);
  EXPECT_SAME_FIELD(kabi::Domctl, struct xen_domctl, interface_version);
  EXPECT_SAME_FIELD(kabi::Domctl, struct xen_domctl, domain);
  EXPECT_SAME_FIELD(kabi::Domctl, struct xen_domctl, u);
  EXPECT_EQ(kabi::kDomctlCreateDomain, static_cast<uint32_t>(XEN_DOMCTL_createdomain));
  EXPECT_EQ(kabi::kDomctlDestroyDomain, static_cast<uint32_t>(XEN_DOMCTL_destroydomain));
  EXPECT_EQ(kabi::kDomctlPauseDomain, static_cast<uint32_t>(XEN_DOMCTL_pausedomain));
  EXPECT_EQ(kabi::kDomctlUnpauseDomain, static_cast<uint32_t>(XEN_DOMCTL_unpausedomain));
  EXPECT_EQ(kabi::kDomctlGetDomainInfo, static_cast<uint32_t>(XEN_DOMCTL_getdomaininfo));
  EXPECT_EQ(kabi::kDomctlMaxMem, static_cast<uint32_t>(XEN_DOMCTL_max_mem));
  EXPECT_EQ(kabi::kDomctlSetVcpuContext, static_cast<uint32_t>(XEN_DOMCTL_setvcpucontext));
  EXPECT_EQ(kabi::kDomctlMaxVcpus, static_cast<uint32_t>(XEN_DOMCTL_max_vcpus));
  EXPECT_EQ(kabi::kDomctlHypercallInit, static_cast<uint32_t>(XEN_DOMCTL_hypercall_init));
  EXPECT_EQ(kabi::kDomctlSetAddressSize, static_cast<uint32_t>(XEN_DOMCTL_set_address_size));
  EXPECT_EQ(kabi::kCdfHvm, XEN_DOMCTL_CDF_hvm);
  EXPECT_EQ(kabi::kCdfHap, XEN_DOMCTL_CDF_hap);
  EXPECT_EQ(kabi::kCdfIommu, XEN_DOMCTL_CDF_iommu);
  EXPECT_EQ(kabi::DomctlGrantVersion(2), XEN_DOMCTL_GRANT_version(2));
  EXPECT_EQ(kabi::kDominfDying, XEN_DOMINF_dying);
  EXPECT_EQ(kabi::kDominfHvmGuest, XEN_DOMINF_hvm_guest);
  EXPECT_EQ(kabi::kDominfShutdown, XEN_DOMINF_shutdown);
  EXPECT_EQ(kabi::kDominfPaused, XEN_DOMINF_paused);
  EXPECT_EQ(kabi::kDominfBlocked, XEN_DOMINF_blocked);
  EXPECT_EQ(kabi::kDominfRunning, XEN_DOMINF_running);
  EXPECT_EQ(kabi::kDominfShutdownShift, static_cast<uint32_t>(XEN_DOMINF_shutdownshift));
  EXPECT_EQ(kabi::kDominfShutdownMask, static_cast<uint32_t>(XEN_DOMINF_shutdownmask));
  EXPECT_EQ(kabi::kDomidFirstReserved, DOMID_FIRST_RESERVED);
  EXPECT_EQ(kabi::kDomidSelf, DOMID_SELF);
  EXPECT_EQ(kabi::kDomidInvalid, DOMID_INVALID);
}

TEST(XenAbiTest, DomctlCreateDomain) {
  using O = kabi::DomctlCreateDomain;
  using T = struct xen_domctl_createdomain;
  EXPECT_EQ(sizeof(O), sizeof(T));
  EXPECT_EQ(sizeof(O::handle), sizeof(xen_domain_handle_t));
  EXPECT_SAME_FIELD(O, T, ssidref);
  EXPECT_SAME_FIELD(O, T, handle);
  EXPECT_SAME_FIELD(O, T, flags);
  EXPECT_SAME_FIELD(O, T, iommu_opts);
  EXPECT_SAME_FIELD(O, T, max_vcpus);
  EXPECT_SAME_FIELD(O, T, max_evtchn_port);
  EXPECT_SAME_FIELD(O, T, max_grant_frames);
  EXPECT_SAME_FIELD(O, T, max_maptrack_frames);
  EXPECT_SAME_FIELD(O, T, grant_opts);
  EXPECT_SAME_FIELD(O, T, vmtrace_size);
  EXPECT_SAME_FIELD(O, T, cpupool_id);
  EXPECT_SAME_FIELD(O, T, arch);
  EXPECT_EQ(sizeof(kabi::ArchDomainConfig), sizeof(struct xen_arch_domainconfig));
}

TEST(XenAbiTest, DomctlGetDomainInfo) {
  using O = kabi::DomctlGetDomainInfo;
  using T = struct xen_domctl_getdomaininfo;
  EXPECT_EQ(sizeof(O), sizeof(T));
  EXPECT_SAME_FIELD(O, T, domain);
  EXPECT_SAME_FIELD(O, T, flags);
  EXPECT_SAME_FIELD(O, T, tot_pages);
  EXPECT_SAME_FIELD(O, T, max_pages);
  EXPECT_SAME_FIELD(O, T, outstanding_pages);
  EXPECT_SAME_FIELD(O, T, shr_pages);
  EXPECT_SAME_FIELD(O, T, paged_pages);
  EXPECT_SAME_FIELD(O, T, shared_info_frame);
  EXPECT_SAME_FIELD(O, T, cpu_time);
  EXPECT_SAME_FIELD(O, T, nr_online_vcpus);
  EXPECT_SAME_FIELD(O, T, max_vcpu_id);
  EXPECT_SAME_FIELD(O, T, ssidref);
  EXPECT_SAME_FIELD(O, T, handle);
  EXPECT_SAME_FIELD(O, T, cpupool);
  EXPECT_SAME_FIELD(O, T, gpaddr_bits);
  EXPECT_SAME_FIELD(O, T, arch_config);
}

TEST(XenAbiTest, DomctlSmallOps) {
  EXPECT_EQ(sizeof(kabi::DomctlMaxMem), sizeof(struct xen_domctl_max_mem));
  EXPECT_EQ(sizeof(kabi::DomctlVcpuContext), sizeof(struct xen_domctl_vcpucontext));
  EXPECT_SAME_FIELD(kabi::DomctlVcpuContext, struct xen_domctl_vcpucontext, vcpu);
  EXPECT_SAME_FIELD(kabi::DomctlVcpuContext, struct xen_domctl_vcpucontext, ctxt);
  EXPECT_EQ(sizeof(kabi::DomctlMaxVcpus), sizeof(struct xen_domctl_max_vcpus));
  EXPECT_EQ(sizeof(kabi::DomctlHypercallInit), sizeof(struct xen_domctl_hypercall_init));
  EXPECT_EQ(sizeof(kabi::DomctlAddressSize), sizeof(struct xen_domctl_address_size));
}

TEST(XenAbiTest, SysctlGetDomainInfoList) {
  using O = kabi::SysctlGetDomainInfoList;
  using T = struct xen_sysctl_getdomaininfolist;
  EXPECT_EQ(kabi::kSysctlGetDomainInfoList, static_cast<uint32_t>(XEN_SYSCTL_getdomaininfolist));
  EXPECT_EQ(sizeof(O), sizeof(T));
  EXPECT_SAME_FIELD(O, T, first_domain);
  EXPECT_SAME_FIELD(O, T, max_domains);
  EXPECT_SAME_FIELD(O, T, buffer);
  EXPECT_SAME_FIELD(O, T, num_domains);
}

TEST(XenAbiTest, MemoryOp) {
  using O = kabi::MemoryReservation;
  using T = struct xen_memory_reservation;
  EXPECT_EQ(sizeof(O), sizeof(T));
  EXPECT_SAME_FIELD(O, T, extent_start);
  EXPECT_SAME_FIELD(O, T, nr_extents);
  EXPECT_SAME_FIELD(O, T, extent_order);
  EXPECT_SAME_FIELD(O, T, mem_flags);
  EXPECT_SAME_FIELD(O, T, domid);
  EXPECT_EQ(sizeof(xen_pfn_t), sizeof(uint64_t));
  EXPECT_EQ(kabi::kXenMemIncreaseReservation, static_cast<uint64_t>(XENMEM_increase_reservation));
  EXPECT_EQ(kabi::kXenMemDecreaseReservation, static_cast<uint64_t>(XENMEM_decrease_reservation));
  EXPECT_EQ(kabi::kXenMemPopulatePhysmap, static_cast<uint64_t>(XENMEM_populate_physmap));
  EXPECT_EQ(kabi::kXenMemClaimPages, static_cast<uint64_t>(XENMEM_claim_pages));
  EXPECT_EQ(kabi::kXenMemResourceGrantTable, static_cast<uint32_t>(XENMEM_resource_grant_table));
  EXPECT_EQ(kabi::kXenMemResourceGrantTableIdShared,
            static_cast<uint32_t>(XENMEM_resource_grant_table_id_shared));
}

TEST(XenAbiTest, EventChannelOp) {
  EXPECT_EQ(kabi::kEvtchnOpClose, static_cast<uint64_t>(EVTCHNOP_close));
  EXPECT_EQ(kabi::kEvtchnOpAllocUnbound, static_cast<uint64_t>(EVTCHNOP_alloc_unbound));
  EXPECT_EQ(sizeof(kabi::EvtchnAllocUnbound), sizeof(struct evtchn_alloc_unbound));
  EXPECT_SAME_FIELD(kabi::EvtchnAllocUnbound, struct evtchn_alloc_unbound, dom);
  EXPECT_SAME_FIELD(kabi::EvtchnAllocUnbound, struct evtchn_alloc_unbound, remote_dom);
  EXPECT_SAME_FIELD(kabi::EvtchnAllocUnbound, struct evtchn_alloc_unbound, port);
  EXPECT_EQ(sizeof(kabi::EvtchnClose), sizeof(struct evtchn_close));
}

TEST(XenAbiTest, MmuextOp) {
  EXPECT_EQ(kabi::kMmuextPinL4Table, static_cast<uint32_t>(MMUEXT_PIN_L4_TABLE));
  EXPECT_EQ(kabi::kMmuextUnpinTable, static_cast<uint32_t>(MMUEXT_UNPIN_TABLE));
  EXPECT_EQ(sizeof(kabi::MmuextOp), sizeof(struct mmuext_op));
  EXPECT_SAME_FIELD(kabi::MmuextOp, struct mmuext_op, cmd);
  EXPECT_SAME_FIELD(kabi::MmuextOp, struct mmuext_op, arg1);
  EXPECT_SAME_FIELD(kabi::MmuextOp, struct mmuext_op, arg2);
}

TEST(XenAbiTest, VcpuGuestContext) {
  using O = kabi::VcpuGuestContext;
  using T = struct vcpu_guest_context;
  EXPECT_EQ(sizeof(O), sizeof(T));
  EXPECT_SAME_FIELD(O, T, flags);
  EXPECT_SAME_FIELD(O, T, user_regs);
  EXPECT_SAME_FIELD(O, T, trap_ctxt);
  EXPECT_SAME_FIELD(O, T, ldt_base);
  EXPECT_SAME_FIELD(O, T, gdt_frames);
  EXPECT_SAME_FIELD(O, T, gdt_ents);
  EXPECT_SAME_FIELD(O, T, kernel_ss);
  EXPECT_SAME_FIELD(O, T, kernel_sp);
  EXPECT_SAME_FIELD(O, T, ctrlreg);
  EXPECT_SAME_FIELD(O, T, debugreg);
  EXPECT_SAME_FIELD(O, T, event_callback_eip);
  EXPECT_SAME_FIELD(O, T, failsafe_callback_eip);
  EXPECT_SAME_FIELD(O, T, syscall_callback_eip);
  EXPECT_SAME_FIELD(O, T, vm_assist);
  EXPECT_SAME_FIELD(O, T, fs_base);
  EXPECT_SAME_FIELD(O, T, gs_base_kernel);
  EXPECT_SAME_FIELD(O, T, gs_base_user);
  using R = kabi::CpuUserRegs;
  using S = struct cpu_user_regs;
  EXPECT_EQ(sizeof(R), sizeof(S));
  EXPECT_SAME_FIELD(R, S, r15);
  EXPECT_SAME_FIELD(R, S, rbx);
  EXPECT_SAME_FIELD(R, S, rsi);
  EXPECT_SAME_FIELD(R, S, rdi);
  EXPECT_SAME_FIELD(R, S, rip);
  EXPECT_SAME_FIELD(R, S, cs);
  EXPECT_SAME_FIELD(R, S, saved_upcall_mask);
  EXPECT_SAME_FIELD(R, S, rflags);
  EXPECT_SAME_FIELD(R, S, rsp);
  EXPECT_SAME_FIELD(R, S, ss);
  EXPECT_SAME_FIELD(R, S, es);
  EXPECT_SAME_FIELD(R, S, ds);
  EXPECT_SAME_FIELD(R, S, fs);
  EXPECT_SAME_FIELD(R, S, gs);
  EXPECT_EQ(sizeof(kabi::TrapInfo), sizeof(struct trap_info));
  EXPECT_EQ(kabi::kVgcfInKernel, static_cast<uint64_t>(VGCF_in_kernel));
  EXPECT_EQ(kabi::kVgcfOnline, static_cast<uint64_t>(VGCF_online));
  EXPECT_EQ(kabi::kVgcfI387Valid, static_cast<uint64_t>(VGCF_i387_valid));
  EXPECT_EQ(kabi::kFlatKernelCs64, FLAT_KERNEL_CS64);
  EXPECT_EQ(kabi::kFlatKernelSs64, FLAT_KERNEL_SS64);
}

TEST(XenAbiTest, StartInfoAndSharedInfo) {
  using O = kabi::StartInfo;
  using T = struct start_info;
  EXPECT_EQ(sizeof(O), sizeof(T));
  EXPECT_SAME_FIELD(O, T, magic);
  EXPECT_SAME_FIELD(O, T, nr_pages);
  EXPECT_SAME_FIELD(O, T, shared_info);
  EXPECT_SAME_FIELD(O, T, flags);
  EXPECT_SAME_FIELD(O, T, store_mfn);
  EXPECT_SAME_FIELD(O, T, store_evtchn);
  EXPECT_EQ(offsetof(O, console_mfn), offsetof(T, console.domU.mfn));
  EXPECT_EQ(offsetof(O, console_evtchn), offsetof(T, console.domU.evtchn));
  EXPECT_SAME_FIELD(O, T, pt_base);
  EXPECT_SAME_FIELD(O, T, nr_pt_frames);
  EXPECT_SAME_FIELD(O, T, mfn_list);
  EXPECT_SAME_FIELD(O, T, mod_start);
  EXPECT_SAME_FIELD(O, T, mod_len);
  EXPECT_SAME_FIELD(O, T, cmd_line);
  EXPECT_SAME_FIELD(O, T, first_p2m_pfn);
  EXPECT_SAME_FIELD(O, T, nr_p2m_frames);
  EXPECT_EQ(kabi::kMaxGuestCmdline, static_cast<size_t>(MAX_GUEST_CMDLINE));
  EXPECT_EQ(kabi::kSifModStartPfn, static_cast<uint32_t>(SIF_MOD_START_PFN));
  EXPECT_EQ(kabi::kLegacyMaxVcpus, static_cast<size_t>(XEN_LEGACY_MAX_VCPUS));
  EXPECT_EQ(kabi::kVcpuInfoSize, sizeof(struct vcpu_info));
  EXPECT_EQ(kabi::kVcpuInfoUpcallPendingOffset, offsetof(struct vcpu_info, evtchn_upcall_pending));
  EXPECT_EQ(kabi::kVcpuInfoUpcallMaskOffset, offsetof(struct vcpu_info, evtchn_upcall_mask));
  EXPECT_EQ(offsetof(struct shared_info, vcpu_info), 0u);
}

TEST(XenAbiTest, GrantTable) {
  EXPECT_EQ(sizeof(kabi::GrantEntryV1), sizeof(struct grant_entry_v1));
  EXPECT_SAME_FIELD(kabi::GrantEntryV1, struct grant_entry_v1, flags);
  EXPECT_SAME_FIELD(kabi::GrantEntryV1, struct grant_entry_v1, domid);
  EXPECT_SAME_FIELD(kabi::GrantEntryV1, struct grant_entry_v1, frame);
  EXPECT_EQ(kabi::kGnttabReservedConsole, static_cast<uint32_t>(GNTTAB_RESERVED_CONSOLE));
  EXPECT_EQ(kabi::kGnttabReservedXenstore, static_cast<uint32_t>(GNTTAB_RESERVED_XENSTORE));
  EXPECT_EQ(kabi::kGtfPermitAccess, GTF_permit_access);
  EXPECT_EQ(kabi::kGtfReadonly, GTF_readonly);
}
