#pragma once
// XEN_SYSCTL: struct xen_sysctl and the sub-structures we use.
// Source: xen/include/public/sysctl.h (Xen 4.17, XEN_SYSCTL_INTERFACE_VERSION 0x15).

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace krata::xen::abi {

// Interface versions whose layout of the commands we use (physinfo) is identical; probed
// at runtime in this order (Xen returns EACCES for a version it does not speak).
inline constexpr uint32_t kSysctlVersions[] = {0x15, 0x16};

inline constexpr uint32_t kSysctlPhysinfo = 3;
inline constexpr uint32_t kSysctlGetDomainInfoList = 6;

// struct xen_sysctl_physinfo
struct SysctlPhysinfo {
  uint32_t threads_per_core;
  uint32_t cores_per_socket;
  uint32_t nr_cpus;  // online CPUs
  uint32_t max_cpu_id;
  uint32_t nr_nodes;
  uint32_t max_node_id;
  uint32_t cpu_khz;
  uint32_t capabilities;
  uint32_t arch_capabilities;
  uint32_t pad;
  uint64_t total_pages;
  uint64_t free_pages;
  uint64_t scrub_pages;
  uint64_t outstanding_pages;
  uint64_t max_mfn;
  uint32_t hw_cap[8];
};
static_assert(sizeof(SysctlPhysinfo) == 112);
static_assert(offsetof(SysctlPhysinfo, total_pages) == 40);
static_assert(offsetof(SysctlPhysinfo, free_pages) == 48);

// struct xen_sysctl_getdomaininfolist: buffer is a guest handle to max_domains
// DomctlGetDomainInfo (domctl.h) in a hypercall buffer.
struct SysctlGetDomainInfoList {
  uint16_t first_domain;
  uint16_t pad0;
  uint32_t max_domains;
  uint64_t buffer;
  uint32_t num_domains;  // OUT
  uint32_t pad1;
};
static_assert(sizeof(SysctlGetDomainInfoList) == 24);
static_assert(offsetof(SysctlGetDomainInfoList, buffer) == 8);
static_assert(offsetof(SysctlGetDomainInfoList, num_domains) == 16);

// struct xen_sysctl: cmd, interface_version, then a 128-byte union.
struct Sysctl {
  uint32_t cmd;
  uint32_t interface_version;
  union {
    SysctlPhysinfo physinfo;
    SysctlGetDomainInfoList getdomaininfolist;
    uint8_t pad[128];
  } u;
};
static_assert(sizeof(Sysctl) == 136);
static_assert(offsetof(Sysctl, u) == 8);
static_assert(std::is_trivially_copyable_v<Sysctl> && std::is_standard_layout_v<Sysctl>);

}  // namespace krata::xen::abi
