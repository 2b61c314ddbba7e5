#pragma once
// Hypercall numbers and the privcmd driver ABI.
// Sources: xen/include/public/xen.h (__HYPERVISOR_*), xen/include/public/version.h
// (XENVER_*), Linux include/uapi/xen/privcmd.h (IOCTL_PRIVCMD_*).

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace krata::xen::abi {

// __HYPERVISOR_* (xen.h)
inline constexpr uint64_t kHypercallMemoryOp = 12;
inline constexpr uint64_t kHypercallXenVersion = 17;
inline constexpr uint64_t kHypercallConsoleIo = 18;
inline constexpr uint64_t kHypercallGrantTableOp = 20;
inline constexpr uint64_t kHypercallVcpuOp = 24;
inline constexpr uint64_t kHypercallMmuextOp = 26;
inline constexpr uint64_t kHypercallSchedOp = 29;
inline constexpr uint64_t kHypercallEventChannelOp = 32;
inline constexpr uint64_t kHypercallSysctl = 35;
inline constexpr uint64_t kHypercallDomctl = 36;

// XENVER_* sub-commands (version.h)
inline constexpr uint64_t kXenVerVersion = 0;       // returns (major << 16) | minor
inline constexpr uint64_t kXenVerExtraversion = 1;  // char[16]
inline constexpr uint64_t kXenVerCapabilities = 3;  // char[1024]
inline constexpr size_t kXenExtraversionLen = 16;
inline constexpr size_t kXenCapabilitiesLen = 1024;

// privcmd_hypercall_t
struct PrivcmdHypercall {
  uint64_t op;
  uint64_t arg[5];
};
static_assert(sizeof(PrivcmdHypercall) == 48);
static_assert(std::is_trivially_copyable_v<PrivcmdHypercall>);

// _IOC(_IOC_NONE, 'P', nr, size): dir bits are 0, so the number is (size << 16) | ('P' << 8) | nr.
constexpr unsigned long PrivcmdIoctl(unsigned nr, size_t size) {
  return (static_cast<unsigned long>(size) << 16) | (static_cast<unsigned long>('P') << 8) | nr;
}
inline constexpr unsigned long kIoctlPrivcmdHypercall = PrivcmdIoctl(0, 48);
inline constexpr unsigned long kIoctlPrivcmdMmapbatchV2 = PrivcmdIoctl(4, 32);
inline constexpr unsigned long kIoctlPrivcmdMmapResource = PrivcmdIoctl(7, 32);
static_assert(kIoctlPrivcmdHypercall == 0x00305000);
static_assert(kIoctlPrivcmdMmapbatchV2 == 0x00205004);
static_assert(kIoctlPrivcmdMmapResource == 0x00205007);

// privcmd_mmapbatch_v2_t: maps `num` frames of domain `dom` at `addr` (inside an mmap of
// /dev/xen/privcmd). The kernel writes a per-frame errno (negative) into err[]; the ioctl
// fails with ENOENT when some frames are paged out and should be retried.
struct PrivcmdMmapbatchV2 {
  uint32_t num;
  uint16_t dom;
  uint16_t pad;
  uint64_t addr;
  uint64_t arr;  // const xen_pfn_t*
  uint64_t err;  // int*
};
static_assert(sizeof(PrivcmdMmapbatchV2) == 32);
static_assert(offsetof(PrivcmdMmapbatchV2, addr) == 8 && offsetof(PrivcmdMmapbatchV2, err) == 24);

// privcmd_mmap_resource_t: maps frames [idx, idx+num) of resource (type, id) of `dom`.
struct PrivcmdMmapResource {
  uint16_t dom;
  uint16_t pad;
  uint32_t type;  // XENMEM_resource_* (memory.h)
  uint32_t id;
  uint32_t idx;
  uint64_t num;
  uint64_t addr;
};
static_assert(sizeof(PrivcmdMmapResource) == 32);
static_assert(offsetof(PrivcmdMmapResource, idx) == 12 &&
              offsetof(PrivcmdMmapResource, addr) == 24);

inline constexpr size_t kPageSize = 4096;
inline constexpr unsigned kPageShift = 12;

}  // namespace krata::xen::abi
