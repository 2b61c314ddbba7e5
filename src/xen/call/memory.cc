// DomainControl: memory_op, event_channel_op, mmuext_op and mappings
// (xen/include/public/memory.h, event_channel.h, xen.h).

#include "xen/abi/memory.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/checked.h"
#include "xen/abi/event_channel.h"
#include "xen/abi/hypercall.h"
#include "xen/abi/mmuext.h"
#include "xen/call/domain_control.h"

namespace krata::xen {
namespace {

std::string DomainContext(std::string_view op, DomId domid) {
  return std::string(op) + ": domain " + std::to_string(domid);
}

}  // namespace

Result<long> DomainControl::MemoryOp(uint64_t cmd, DomId domid, uint32_t order, uint64_t nr,
                                     uint64_t extent_start) {
  HypercallBuffer buf = TRY(privcmd_.AllocBuffer(sizeof(abi::MemoryReservation)));
  auto* r = buf.as<abi::MemoryReservation>();
  std::memset(r, 0, sizeof(*r));
  r->extent_start = extent_start;
  r->nr_extents = nr;
  r->extent_order = order;
  r->domid = domid;
  return privcmd_.Hypercall(abi::kHypercallMemoryOp, {cmd, buf.address(), 0, 0, 0});
}

Result<void> DomainControl::ClaimPages(DomId domid, uint64_t pages) {
  Result<long> r = MemoryOp(abi::kXenMemClaimPages, domid, 0, pages, 0);
  if (!r.has_value()) {
    return std::move(r.error()).With(DomainContext("memory_op claim_pages", domid) + " (" +
                                     std::to_string(pages) + " pages)");
  }
  return {};
}

Result<size_t> DomainControl::PopulatePhysmap(DomId domid, uint32_t order,
                                              std::span<uint64_t> extents) {
  const std::string ctx = DomainContext("memory_op populate_physmap", domid);
  if (extents.empty()) return size_t{0};
  std::optional<size_t> bytes = CheckedMul<size_t>(extents.size(), sizeof(uint64_t));
  if (!bytes) return Error::Invalid("memory_op populate_physmap", "too many extents").With(ctx);
  // Xen reads the pfns and writes the MFNs through a guest handle: hypercall memory.
  Result<HypercallBuffer> list = privcmd_.AllocBuffer(*bytes);
  if (!list.has_value()) return std::move(list.error()).With(ctx);
  std::memcpy(list->data(), extents.data(), *bytes);
  Result<long> r =
      MemoryOp(abi::kXenMemPopulatePhysmap, domid, order, extents.size(), list->address());
  if (!r.has_value()) return std::move(r.error()).With(ctx);
  if (*r < 0 || static_cast<size_t>(*r) > extents.size()) {
    return Error::Invalid("memory_op populate_physmap", "impossible extent count").With(ctx);
  }
  const auto done = static_cast<size_t>(*r);
  std::memcpy(extents.data(), list->data(), done * sizeof(uint64_t));
  return done;
}

Result<size_t> DomainControl::DecreaseReservation(DomId domid, uint32_t order,
                                                  std::span<const uint64_t> extents) {
  const std::string ctx = DomainContext("memory_op decrease_reservation", domid);
  if (extents.empty()) return size_t{0};
  std::optional<size_t> bytes = CheckedMul<size_t>(extents.size(), sizeof(uint64_t));
  if (!bytes) return Error::Invalid("memory_op decrease_reservation", "too many").With(ctx);
  Result<HypercallBuffer> list = privcmd_.AllocBuffer(*bytes);
  if (!list.has_value()) return std::move(list.error()).With(ctx);
  std::memcpy(list->data(), extents.data(), *bytes);
  Result<long> r =
      MemoryOp(abi::kXenMemDecreaseReservation, domid, order, extents.size(), list->address());
  if (!r.has_value()) return std::move(r.error()).With(ctx);
  if (*r < 0 || static_cast<size_t>(*r) > extents.size()) {
    return Error::Invalid("memory_op decrease_reservation", "impossible count").With(ctx);
  }
  return static_cast<size_t>(*r);
}

Result<EvtchnPort> DomainControl::AllocUnboundPort(DomId domid, DomId remote) {
  const std::string ctx = DomainContext("event_channel_op alloc_unbound", domid);
  Result<HypercallBuffer> buf = privcmd_.AllocBuffer(sizeof(abi::EvtchnAllocUnbound));
  if (!buf.has_value()) return std::move(buf.error()).With(ctx);
  auto* a = buf->as<abi::EvtchnAllocUnbound>();
  a->dom = domid;
  a->remote_dom = remote;
  a->port = 0;
  Result<long> r = privcmd_.Hypercall(abi::kHypercallEventChannelOp,
                                      {abi::kEvtchnOpAllocUnbound, buf->address(), 0, 0, 0});
  if (!r.has_value()) return std::move(r.error()).With(ctx);
  return EvtchnPort{a->port};
}

Result<void> DomainControl::ClosePort(EvtchnPort port) {
  HypercallBuffer buf = TRY(privcmd_.AllocBuffer(sizeof(abi::EvtchnClose)));
  buf.as<abi::EvtchnClose>()->port = port;
  Result<long> r = privcmd_.Hypercall(abi::kHypercallEventChannelOp,
                                      {abi::kEvtchnOpClose, buf.address(), 0, 0, 0});
  if (!r.has_value()) {
    return std::move(r.error()).With("event_channel_op close: port " + std::to_string(port));
  }
  return {};
}

Result<void> DomainControl::PinL4Table(DomId domid, Mfn mfn) {
  const std::string ctx = DomainContext("mmuext_op pin_l4_table", domid);
  Result<HypercallBuffer> buf = privcmd_.AllocBuffer(sizeof(abi::MmuextOp) + sizeof(uint32_t));
  if (!buf.has_value()) return std::move(buf.error()).With(ctx);
  auto* op = buf->as<abi::MmuextOp>();
  op->cmd = abi::kMmuextPinL4Table;
  op->arg1 = mfn;
  // HYPERVISOR_mmuext_op(ops, count, pdone, foreigndom): the table belongs to `domid`.
  const uint64_t done_addr = buf->address() + sizeof(abi::MmuextOp);
  Result<long> r =
      privcmd_.Hypercall(abi::kHypercallMmuextOp, {buf->address(), 1, done_addr, domid, 0});
  if (!r.has_value()) return std::move(r.error()).With(ctx);
  return {};
}

Result<ForeignMapping> DomainControl::MapForeign(DomId domid, std::span<const uint64_t> mfns,
                                                 int prot, const MapOptions& options) {
  return xen::MapForeign(privcmd_, domid, mfns, prot, options);
}

Result<ForeignMapping> DomainControl::MapGrantTable(DomId domid, uint32_t frame, uint32_t nr) {
  return MapResource(privcmd_, domid, abi::kXenMemResourceGrantTable,
                     abi::kXenMemResourceGrantTableIdShared, frame, nr, PROT_READ | PROT_WRITE);
}

}  // namespace krata::xen
