// Checks the /dev/xen/evtchn ABI mirror against Linux's uapi header as installed by
// libxen-dev (xen/sys/evtchn.h). Only this file includes it.

// The uapi header uses domid_t from xen.h and _IOC from sys/ioctl.h, so order matters.
// clang-format off
#include <cstdint>
#include <cstddef>
#include <sys/ioctl.h>
#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/sys/evtchn.h>
// clang-format on

#include <gtest/gtest.h>

#include "xen/abi/evtchn_dev.h"

namespace kabi = krata::xen::abi;

TEST(EvtchnAbiTest, IoctlNumbers) {
  EXPECT_EQ(kabi::kIoctlEvtchnBindVirq, static_cast<unsigned long>(IOCTL_EVTCHN_BIND_VIRQ));
  EXPECT_EQ(kabi::kIoctlEvtchnBindInterdomain,
            static_cast<unsigned long>(IOCTL_EVTCHN_BIND_INTERDOMAIN));
  EXPECT_EQ(kabi::kIoctlEvtchnBindUnboundPort,
            static_cast<unsigned long>(IOCTL_EVTCHN_BIND_UNBOUND_PORT));
  EXPECT_EQ(kabi::kIoctlEvtchnUnbind, static_cast<unsigned long>(IOCTL_EVTCHN_UNBIND));
  EXPECT_EQ(kabi::kIoctlEvtchnNotify, static_cast<unsigned long>(IOCTL_EVTCHN_NOTIFY));
  EXPECT_EQ(kabi::kIoctlEvtchnReset, static_cast<unsigned long>(IOCTL_EVTCHN_RESET));
  EXPECT_EQ(kabi::kIoctlEvtchnRestrictDomid,
            static_cast<unsigned long>(IOCTL_EVTCHN_RESTRICT_DOMID));
}

TEST(EvtchnAbiTest, StructLayouts) {
  EXPECT_EQ(sizeof(kabi::IoctlEvtchnBindVirq), sizeof(struct ioctl_evtchn_bind_virq));
  EXPECT_EQ(sizeof(kabi::IoctlEvtchnBindInterdomain), sizeof(struct ioctl_evtchn_bind_interdomain));
  EXPECT_EQ(offsetof(kabi::IoctlEvtchnBindInterdomain, remote_port),
            offsetof(struct ioctl_evtchn_bind_interdomain, remote_port));
  EXPECT_EQ(sizeof(kabi::IoctlEvtchnBindUnboundPort),
            sizeof(struct ioctl_evtchn_bind_unbound_port));
  EXPECT_EQ(sizeof(kabi::IoctlEvtchnUnbind), sizeof(struct ioctl_evtchn_unbind));
  EXPECT_EQ(sizeof(kabi::IoctlEvtchnNotify), sizeof(struct ioctl_evtchn_notify));
  EXPECT_EQ(sizeof(kabi::IoctlEvtchnRestrictDomid), sizeof(struct ioctl_evtchn_restrict_domid));
  EXPECT_EQ(sizeof(kabi::EvtchnPortT), sizeof(evtchn_port_t));
}
