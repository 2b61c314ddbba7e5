#pragma once
// Small vocabulary types of the hypercall layer.

#include <cstdint>

namespace krata::xen {

using DomId = uint16_t;       // domid_t (xen.h)
using EvtchnPort = uint32_t;  // evtchn_port_t (event_channel.h)
using Pfn = uint64_t;         // a guest pseudo-physical frame number
using Mfn = uint64_t;         // a machine frame number (what a PV guest's page tables hold)

}  // namespace krata::xen
