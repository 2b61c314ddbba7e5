#pragma once
// Foreign memory mapping on top of Privcmd's raw primitives, with libxenforeignmemory's
// semantics (tools/libs/foreignmemory/linux.c): frames Xen reports as paged out (ENOENT)
// are retried in sub-batches until they map or a bound is hit.
//
// For a PV guest the frames are MFNs (a PV guest's "gfn" is its machine frame).

#include <cstdint>
#include <span>

#include "base/result.h"
#include "xen/call/privcmd.h"
#include "xen/call/types.h"

namespace krata::xen {

struct MapOptions {
  // How many rounds of paged-out retries before giving up, and the pause between them
  // (Xen pages frames back in asynchronously and offers no event to wait on).
  int paged_retries = 10000;
  int paged_retry_delay_us = 100;
};

// Maps frames[i] of `dom` at page i of one contiguous mapping with `prot` (PROT_*). Fails
// if any frame cannot be mapped; the error names the first failing frame, its index and
// how many frames failed. Nothing stays mapped on failure.
Result<ForeignMapping> MapForeign(Privcmd& privcmd, DomId dom, std::span<const uint64_t> frames,
                                  int prot, const MapOptions& options = {});

// Maps frames [frame, frame + nr) of resource (type, id) of `dom`, e.g. the grant table:
// type abi::kXenMemResourceGrantTable, id abi::kXenMemResourceGrantTableIdShared.
Result<ForeignMapping> MapResource(Privcmd& privcmd, DomId dom, uint32_t type, uint32_t id,
                                   uint32_t frame, uint32_t nr, int prot);

}  // namespace krata::xen
