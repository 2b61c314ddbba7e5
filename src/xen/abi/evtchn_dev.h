#pragma once
// The Linux /dev/xen/evtchn driver ABI.
// Source: Linux include/uapi/xen/evtchn.h (installed by libxen-dev as xen/sys/evtchn.h);
// semantics from Linux drivers/xen/evtchn.c. Checked against the installed header by
// src/xen/evtchn/evtchn_abi_test.cc. Numbers: xen-lab.md §12.
//
// Besides the ioctls, the device speaks through read(2) and write(2): read returns an array of
// evtchn_port_t (u32, host order) that fired, and writing ports back re-enables (unmasks) them.

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace krata::xen::abi {

// _IOC(_IOC_NONE, 'E', nr, size): the direction bits are 0.
constexpr unsigned long EvtchnIoctl(unsigned nr, size_t size) {
  return (static_cast<unsigned long>(size) << 16) | (static_cast<unsigned long>('E') << 8) | nr;
}

// struct ioctl_evtchn_bind_virq: returns the new local port.
struct IoctlEvtchnBindVirq {
  uint32_t virq;
};
// struct ioctl_evtchn_bind_interdomain: returns the new local port.
struct IoctlEvtchnBindInterdomain {
  uint32_t remote_domain;
  uint32_t remote_port;
};
// struct ioctl_evtchn_bind_unbound_port: returns the new local port.
struct IoctlEvtchnBindUnboundPort {
  uint32_t remote_domain;
};
// struct ioctl_evtchn_unbind
struct IoctlEvtchnUnbind {
  uint32_t port;
};
// struct ioctl_evtchn_notify
struct IoctlEvtchnNotify {
  uint32_t port;
};
// struct ioctl_evtchn_restrict_domid (domid_t)
struct IoctlEvtchnRestrictDomid {
  uint16_t domid;
};

static_assert(sizeof(IoctlEvtchnBindVirq) == 4);
static_assert(sizeof(IoctlEvtchnBindInterdomain) == 8);
static_assert(offsetof(IoctlEvtchnBindInterdomain, remote_port) == 4);
static_assert(sizeof(IoctlEvtchnBindUnboundPort) == 4);
static_assert(sizeof(IoctlEvtchnUnbind) == 4);
static_assert(sizeof(IoctlEvtchnNotify) == 4);
static_assert(sizeof(IoctlEvtchnRestrictDomid) == 2);
static_assert(std::is_trivially_copyable_v<IoctlEvtchnBindInterdomain> &&
              std::is_standard_layout_v<IoctlEvtchnBindInterdomain>);
static_assert(std::is_trivially_copyable_v<IoctlEvtchnRestrictDomid> &&
              std::is_standard_layout_v<IoctlEvtchnRestrictDomid>);

inline constexpr unsigned long kIoctlEvtchnBindVirq = EvtchnIoctl(0, sizeof(IoctlEvtchnBindVirq));
inline constexpr unsigned long kIoctlEvtchnBindInterdomain =
    EvtchnIoctl(1, sizeof(IoctlEvtchnBindInterdomain));
inline constexpr unsigned long kIoctlEvtchnBindUnboundPort =
    EvtchnIoctl(2, sizeof(IoctlEvtchnBindUnboundPort));
inline constexpr unsigned long kIoctlEvtchnUnbind = EvtchnIoctl(3, sizeof(IoctlEvtchnUnbind));
inline constexpr unsigned long kIoctlEvtchnNotify = EvtchnIoctl(4, sizeof(IoctlEvtchnNotify));
// Empties the driver's ring of fired ports and clears its overflow flag.
inline constexpr unsigned long kIoctlEvtchnReset = EvtchnIoctl(5, 0);
inline constexpr unsigned long kIoctlEvtchnRestrictDomid =
    EvtchnIoctl(6, sizeof(IoctlEvtchnRestrictDomid));

static_assert(kIoctlEvtchnBindVirq == 0x00044500);
static_assert(kIoctlEvtchnBindInterdomain == 0x00084501);
static_assert(kIoctlEvtchnBindUnboundPort == 0x00044502);
static_assert(kIoctlEvtchnUnbind == 0x00044503);
static_assert(kIoctlEvtchnNotify == 0x00044504);
static_assert(kIoctlEvtchnReset == 0x00004505);
static_assert(kIoctlEvtchnRestrictDomid == 0x00024506);

// evtchn_port_t (xen/include/public/event_channel.h): the unit of read(2) and write(2).
using EvtchnPortT = uint32_t;
// The driver moves at most one page of ports per read or write call.
inline constexpr size_t kEvtchnMaxPortsPerIo = 4096 / sizeof(EvtchnPortT);

}  // namespace krata::xen::abi
