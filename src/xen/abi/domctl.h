#pragma once
// XEN_DOMCTL: struct xen_domctl and the sub-structures the PV domain builder uses.
// Source: xen/include/public/domctl.h (Xen 4.17, XEN_DOMCTL_INTERFACE_VERSION 0x15) and
// xen/include/public/arch-x86/xen.h (struct xen_arch_domainconfig). Checked against the
// installed headers by abi_test.cc; sizes in xen-lab.md §12.

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace krata::xen::abi {

// Interface versions whose layout of the commands below is identical; probed at runtime in
// this order with GETDOMAININFO (Xen returns EACCES for any other version). Upstream krata
// speaks the same two (xencall/src/sys.rs, XEN_DOMCTL_MAX_INTERFACE_VERSION).
inline constexpr uint32_t kDomctlVersions[] = {0x15, 0x16};

// XEN_DOMCTL_* commands
inline constexpr uint32_t kDomctlCreateDomain = 1;
inline constexpr uint32_t kDomctlDestroyDomain = 2;
inline constexpr uint32_t kDomctlPauseDomain = 3;
inline constexpr uint32_t kDomctlUnpauseDomain = 4;
inline constexpr uint32_t kDomctlGetDomainInfo = 5;
inline constexpr uint32_t kDomctlMaxMem = 11;
inline constexpr uint32_t kDomctlSetVcpuContext = 12;
inline constexpr uint32_t kDomctlMaxVcpus = 15;
inline constexpr uint32_t kDomctlHypercallInit = 22;
inline constexpr uint32_t kDomctlSetAddressSize = 35;

// XEN_DOMCTL_CDF_* createdomain flags (none set = a PV guest).
inline constexpr uint32_t kCdfHvm = 1u << 0;
inline constexpr uint32_t kCdfHap = 1u << 1;
inline constexpr uint32_t kCdfIommu = 1u << 5;
// XEN_DOMCTL_GRANT_version(v): the highest grant table version the guest may pick.
constexpr uint32_t DomctlGrantVersion(uint32_t v) { return v & 0xf; }

// XEN_DOMINF_* getdomaininfo flags; the guest's shutdown code sits in bits 16..23.
inline constexpr uint32_t kDominfDying = 1u << 0;
inline constexpr uint32_t kDominfHvmGuest = 1u << 1;
inline constexpr uint32_t kDominfShutdown = 1u << 2;
inline constexpr uint32_t kDominfPaused = 1u << 3;
inline constexpr uint32_t kDominfBlocked = 1u << 4;
inline constexpr uint32_t kDominfRunning = 1u << 5;
inline constexpr uint32_t kDominfShutdownShift = 16;
inline constexpr uint32_t kDominfShutdownMask = 255;

// domid_t values (xen.h): domids at or above kDomidFirstReserved are not real domains.
inline constexpr uint16_t kDomidFirstReserved = 0x7FF0;
inline constexpr uint16_t kDomidSelf = 0x7FF0;
inline constexpr uint16_t kDomidInvalid = 0x7FF4;

// SECINITSID_DOMU (Xen's flask initial SIDs); ignored unless Xen runs the flask XSM.
inline constexpr uint32_t kSecInitSidDomU = 12;

// struct xen_arch_domainconfig (x86): PV guests must leave emulation_flags 0.
struct ArchDomainConfig {
  uint32_t emulation_flags;
  uint32_t misc_flags;
};
static_assert(sizeof(ArchDomainConfig) == 8);

// struct xen_domctl_createdomain
struct DomctlCreateDomain {
  uint32_t ssidref;
  uint8_t handle[16];  // xen_domain_handle_t: the toolstack's UUID for the domain
  uint32_t flags;      // kCdf*
  uint32_t iommu_opts;
  uint32_t max_vcpus;
  uint32_t max_evtchn_port;
  int32_t max_grant_frames;     // < 0: the hypervisor's default
  int32_t max_maptrack_frames;  // < 0: the hypervisor's default
  uint32_t grant_opts;          // DomctlGrantVersion(v)
  uint32_t vmtrace_size;
  uint32_t cpupool_id;
  ArchDomainConfig arch;
};
static_assert(sizeof(DomctlCreateDomain) == 64);
static_assert(offsetof(DomctlCreateDomain, handle) == 4);
static_assert(offsetof(DomctlCreateDomain, flags) == 20);
static_assert(offsetof(DomctlCreateDomain, max_vcpus) == 28);
static_assert(offsetof(DomctlCreateDomain, grant_opts) == 44);
static_assert(offsetof(DomctlCreateDomain, arch) == 56);

// struct xen_domctl_getdomaininfo; also the element type of sysctl getdomaininfolist.
struct DomctlGetDomainInfo {
  uint16_t domain;
  uint16_t pad1;
  uint32_t flags;  // kDominf*
  uint64_t tot_pages;
  uint64_t max_pages;
  uint64_t outstanding_pages;
  uint64_t shr_pages;
  uint64_t paged_pages;
  uint64_t shared_info_frame;  // GMFN of shared_info (an MFN for PV guests)
  uint64_t cpu_time;
  uint32_t nr_online_vcpus;
  uint32_t max_vcpu_id;
  uint32_t ssidref;
  uint8_t handle[16];
  uint32_t cpupool;
  uint8_t gpaddr_bits;
  uint8_t pad2[7];
  ArchDomainConfig arch_config;
};
static_assert(sizeof(DomctlGetDomainInfo) == 112);
static_assert(offsetof(DomctlGetDomainInfo, flags) == 4);
static_assert(offsetof(DomctlGetDomainInfo, tot_pages) == 8);
static_assert(offsetof(DomctlGetDomainInfo, shared_info_frame) == 48);
static_assert(offsetof(DomctlGetDomainInfo, nr_online_vcpus) == 64);
static_assert(offsetof(DomctlGetDomainInfo, handle) == 76);
static_assert(offsetof(DomctlGetDomainInfo, arch_config) == 104);

// struct xen_domctl_max_mem
struct DomctlMaxMem {
  uint64_t max_memkb;
};
// struct xen_domctl_vcpucontext: ctxt is a guest handle (a pointer into a hypercall buffer
// holding a VcpuGuestContext, vcpu_context.h).
struct DomctlVcpuContext {
  uint32_t vcpu;
  uint32_t pad;
  uint64_t ctxt;
};
static_assert(sizeof(DomctlVcpuContext) == 16 && offsetof(DomctlVcpuContext, ctxt) == 8);
// struct xen_domctl_max_vcpus
struct DomctlMaxVcpus {
  uint32_t max;
};
// struct xen_domctl_hypercall_init
struct DomctlHypercallInit {
  uint64_t gmfn;
};
// struct xen_domctl_address_size
struct DomctlAddressSize {
  uint32_t size;
};

// struct xen_domctl: cmd, interface_version, domain, then a 128-byte union.
struct Domctl {
  uint32_t cmd;
  uint32_t interface_version;
  uint16_t domain;  // IN; OUT for createdomain (the new domid)
  uint16_t pad[3];
  union {
    DomctlCreateDomain createdomain;
    DomctlGetDomainInfo getdomaininfo;
    DomctlMaxMem max_mem;
    DomctlVcpuContext vcpucontext;
    DomctlMaxVcpus max_vcpus;
    DomctlHypercallInit hypercall_init;
    DomctlAddressSize address_size;
    uint8_t pad[128];
  } u;
};
static_assert(sizeof(Domctl) == 144);
static_assert(offsetof(Domctl, interface_version) == 4);
static_assert(offsetof(Domctl, domain) == 8);
static_assert(offsetof(Domctl, u) == 16);
static_assert(std::is_trivially_copyable_v<Domctl> && std::is_standard_layout_v<Domctl>);

}  // namespace krata::xen::abi
