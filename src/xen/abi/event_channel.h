#pragma once
// HYPERVISOR_event_channel_op: the sub-ops the toolstack issues itself.
// Source: xen/include/public/event_channel.h. (The /dev/xen/evtchn driver ABI lives in
// evtchn_dev.h.)

#include <cstddef>
#include <cstdint>

namespace krata::xen::abi {

// EVTCHNOP_* (the first hypercall argument; the second points at the struct).
inline constexpr uint64_t kEvtchnOpClose = 3;
inline constexpr uint64_t kEvtchnOpAllocUnbound = 6;

// struct evtchn_alloc_unbound: allocates a port in `dom` that `remote_dom` may bind.
struct EvtchnAllocUnbound {
  uint16_t dom;
  uint16_t remote_dom;
  uint32_t port;  // OUT
};
static_assert(sizeof(EvtchnAllocUnbound) == 8 && offsetof(EvtchnAllocUnbound, port) == 4);

// struct evtchn_close: closes a port of the calling domain.
struct EvtchnClose {
  uint32_t port;
};
static_assert(sizeof(EvtchnClose) == 4);

}  // namespace krata::xen::abi
