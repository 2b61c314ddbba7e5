#pragma once
// The xenstore side of a domain's life: what a PV guest and dom0's backends expect to find
// (xen docs/misc/xenstore-paths.pandoc), written in one transaction; the introduction to
// xenstored; and the removal that leaves /local/domain and /vm as they were.
//
// Layout follows what libxl writes for a PV guest (xen-lab.md §8.2) minus what only libxl
// itself reads. Permissions: dom0 owns every node it writes; the guest may read its own
// tree; the nodes the guest must write (control/*, data, device, ...) are owned by the guest.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "xen/call/types.h"
#include "xen/store/client.h"

namespace krata::xen::devices {

struct DomainDeclaration {
  DomId domid = 0;
  std::array<uint8_t, 16> uuid{};
  std::string name;
  uint64_t target_kib = 0;  // memory/target: what the guest starts with
  uint64_t max_kib = 0;     // memory/static-max
  uint32_t vcpus = 1;
  EvtchnPort store_evtchn = 0;
  Mfn store_mfn = 0;
  EvtchnPort console_evtchn = 0;
  Mfn console_mfn = 0;
  std::string cmdline;
  // Extra dom0-owned, guest-readable keys under /local/domain/<domid>/ (e.g. "krata/uuid").
  std::map<std::string, std::string> extra;
  // Extra empty nodes the guest owns and may write under (e.g. "krata/zone").
  std::vector<std::string> guest_writable;
};

std::string UuidString(const std::array<uint8_t, 16>& uuid);
std::string DomainPath(DomId domid);  // "/local/domain/<domid>"

// Writes the domain's nodes in one transaction (retried on EAGAIN).
Status DeclareDomain(store::XsClient& xs, const DomainDeclaration& d);

// XS_INTRODUCE: xenstored maps the store ring and binds its event channel. After this the
// guest can talk to xenstored.
Status IntroduceDomain(store::XsClient& xs, const DomainDeclaration& d);

// Removes everything DeclareDomain wrote, dom0's backend directories for the domain, and
// /vm/<uuid> (read from the domain's "vm" key); then XS_RELEASE so xenstored forgets the
// domain's connection. Missing nodes are not errors: removal is idempotent.
Status RemoveDomain(store::XsClient& xs, DomId domid);

}  // namespace krata::xen::devices
