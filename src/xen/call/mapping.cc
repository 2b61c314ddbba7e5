#include "xen/call/mapping.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "xen/abi/hypercall.h"

namespace krata::xen {
namespace {

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

// One pass over the frames still paged out: re-issue each contiguous run of -ENOENT
// entries as its own batch. Returns true while some frames remain paged out.
Result<bool> RetryPaged(Privcmd& privcmd, DomId dom, std::byte* base,
                        std::span<const uint64_t> frames, std::span<int> errs) {
  bool still_paged = false;
  size_t i = 0;
  while (i < frames.size()) {
    if (errs[i] != -ENOENT) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < frames.size() && errs[i] == -ENOENT) ++i;
    Result<void> r =
        privcmd.MmapBatch(dom, base + start * abi::kPageSize, frames.subspan(start, i - start),
                          errs.subspan(start, i - start));
    if (!r.has_value()) {
      if (r.error().errno_value() != ENOENT) return std::move(r.error());
      still_paged = true;
    }
  }
  return still_paged;
}

}  // namespace

Result<ForeignMapping> MapForeign(Privcmd& privcmd, DomId dom, std::span<const uint64_t> frames,
                                  int prot, const MapOptions& options) {
  const std::string ctx = "map foreign: domain " + std::to_string(dom);
  if (frames.empty()) return Error::Invalid("map foreign", "no frames").With(ctx);
  Result<ForeignMapping> reserved = privcmd.ReserveMapping(frames.size(), prot);
  if (!reserved.has_value()) return std::move(reserved.error()).With(ctx);
  ForeignMapping mapping = std::move(*reserved);
  std::vector<int> errs(frames.size(), 0);
  Result<void> r = privcmd.MmapBatch(dom, mapping.data(), frames, errs);
  if (!r.has_value()) {
    if (r.error().errno_value() != ENOENT) return std::move(r.error()).With(ctx);
    bool paged = true;
    for (int round = 0; paged && round < options.paged_retries; ++round) {
      if (options.paged_retry_delay_us > 0) ::usleep(options.paged_retry_delay_us);
      Result<bool> again = RetryPaged(privcmd, dom, mapping.data(), frames, errs);
      if (!again.has_value()) return std::move(again.error()).With(ctx);
      paged = *again;
    }
  }
  size_t failed = 0;
  size_t first = 0;
  for (size_t i = 0; i < errs.size(); ++i) {
    if (errs[i] != 0 && failed++ == 0) first = i;
  }
  if (failed != 0) {
    return Error::FromErrno("IOCTL_PRIVCMD_MMAPBATCH_V2", -errs[first],
                            ctx + ": frame " + Hex(frames[first]) + " (index " +
                                std::to_string(first) + "), " + std::to_string(failed) + " of " +
                                std::to_string(frames.size()) + " frames failed");
  }
  return mapping;
}

Result<ForeignMapping> MapResource(Privcmd& privcmd, DomId dom, uint32_t type, uint32_t id,
                                   uint32_t frame, uint32_t nr, int prot) {
  const std::string ctx = "map resource " + std::to_string(type) + "/" + std::to_string(id) +
                          " frame " + std::to_string(frame) + "+" + std::to_string(nr) +
                          ": domain " + std::to_string(dom);
  if (nr == 0) return Error::Invalid("map resource", "no frames").With(ctx);
  Result<ForeignMapping> m = privcmd.ReserveMapping(nr, prot);
  if (!m.has_value()) return std::move(m.error()).With(ctx);
  Result<void> r = privcmd.MmapResource(dom, type, id, frame, nr, m->data());
  if (!r.has_value()) return std::move(r.error()).With(ctx);
  return m;
}

}  // namespace krata::xen
