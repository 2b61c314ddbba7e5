#pragma once
// Virtual network interfaces (vif) served by dom0's kernel netback: the frontend directory
// the guest's netfront reads, the backend directory netback reads (Xen's
// docs/misc/xenstore-paths.pandoc, xen/include/public/io/netif.h), and the close handshake
// before removal. dom0 then has a netdev "vif<domid>.<handle>" that kratanet serves.
//
// No hotplug script runs: "hotplug-status" = "connected" is written up front, because Linux
// netback's connect() watches that node and only switches to Connected (4) once it reads
// "connected" (drivers/net/xen-netback/xenbus.c, hotplug_status_changed).
// Permissions as for vbds (vbd.h): the frontend is owned by the guest and readable by the
// backend domain; the backend is owned by dom0 and readable by the guest.

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"
#include "xen/call/types.h"
#include "xen/store/client.h"

namespace krata::xen::devices {

struct VifDeclaration {
  DomId domid = 0;          // the frontend (guest)
  DomId backend_domid = 0;  // netback's domain
  uint32_t handle = 0;      // 0 = the guest's eth0 (the first vif netfront finds)
  std::array<uint8_t, 6> mac{};
};

std::string VifMacString(const std::array<uint8_t, 6>& mac);  // "02:ab:cd:ef:01:23"
std::string VifFrontendPath(DomId domid, uint32_t handle);    // /local/domain/<d>/device/vif/<h>
std::string VifBackendPath(DomId backend, DomId domid, uint32_t handle);
// "vif<domid>.<handle>": the name netback gives the dom0 side.
std::string VifBackendIfName(DomId domid, uint32_t handle);

// Writes every vif's frontend and backend nodes in one transaction (retried on EAGAIN).
Status DeclareVifs(store::XsClient& xs, std::span<const VifDeclaration> vifs);

// The close handshake for every vif backend of `domid` (backend_close.h); true if all
// reached Closed (or none existed).
Result<bool> CloseVifs(store::XsClient& xs, DomId domid, std::chrono::milliseconds timeout,
                       DomId backend = 0);

}  // namespace krata::xen::devices
