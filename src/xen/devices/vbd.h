#pragma once
// Virtual block devices (vbd) served by dom0's kernel blkback (krata.md §3.8): the frontend
// directory the guest's blkfront reads, the backend directory blkback reads, and the close
// handshake before removal (§3.10).
//
// physical-device "<major hex>:<minor hex>" is written up front, so blkback opens the device
// straight away and no hotplug script runs. Permissions: the frontend is owned by the guest
// (blkfront writes ring-ref, event-channel, state there) and readable by the backend domain;
// the backend is owned by dom0 and readable by the guest.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"
#include "xen/call/types.h"
#include "xen/store/client.h"

namespace krata::xen::devices {

struct VbdDeclaration {
  DomId domid = 0;          // the frontend (guest)
  DomId backend_domid = 0;  // blkback's domain
  uint32_t index = 0;       // 0 = xvda, 1 = xvdb, ...; at most kMaxVbdIndex
  uint32_t major = 0;       // the dom0 block device blkback opens
  uint32_t minor = 0;
  std::string device_path;  // e.g. "/dev/loop3": informational (physical-device-path)
  bool writable = false;    // mode "w" instead of "r"
};

// xvda..xvdp: the classic (202 << 8) | (index << 4) numbering covers 16 disks.
inline constexpr uint32_t kMaxVbdIndex = 15;
uint32_t VbdDeviceId(uint32_t index);                   // 51712 for xvda, 51728 for xvdb
std::string VbdDiskName(uint32_t index);                // "xvda"
std::string VbdFrontendPath(DomId domid, uint32_t id);  // /local/domain/<domid>/device/vbd/<id>
std::string VbdBackendPath(DomId backend, DomId domid, uint32_t id);
// /local/domain/<backend>/backend/vbd/<domid>
std::string VbdBackendDomainPath(DomId backend, DomId domid);

// Writes every disk's frontend and backend nodes in one transaction (retried on EAGAIN).
Status DeclareVbds(store::XsClient& xs, std::span<const VbdDeclaration> disks);

// Starts the close handshake of every vbd backend of `domid` (online=0, state=5 unless it is
// already 6), then waits up to `timeout` for blkback to reach state 6 (Closed) on all of them,
// using a watch on `xs` (events for other tokens on that client are dropped: give it a
// connection of its own). Returns true if every backend closed (or none existed).
Result<bool> CloseVbds(store::XsClient& xs, DomId domid, std::chrono::milliseconds timeout,
                       DomId backend = 0);

}  // namespace krata::xen::devices
