// FakeXen: machine memory, memory_op and privcmd mappings. Machine frame m is bytes
// [m * 4096, (m + 1) * 4096) of one memfd, so a "foreign mapping" is an mmap of the same
// file pages the test reads through frame(). Freed frames get their memfd range punched
// out, which zeroes them as Xen scrubs freed memory.

#include <fcntl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "base/checked.h"
#include "xen/abi/hypercall.h"
#include "xen/abi/memory.h"
#include "xen/call/fake_xen.h"

namespace krata::xen {
namespace {

Error Fail(int err) { return Error::FromErrno("hypercall", err); }

}  // namespace

std::span<std::byte> FakeXen::frame(Mfn mfn) const {
  if (mfn >= owner_.size()) return {};
  return host_view_.bytes().subspan(mfn * abi::kPageSize, abi::kPageSize);
}

size_t FakeXen::live_mappings() const {
  std::lock_guard lock(mu_);
  return regions_.size();
}

uint64_t FakeXen::free_pages() const {
  std::lock_guard lock(mu_);
  return free_pages_;
}

uint64_t FakeXen::outstanding_claims() const {
  std::lock_guard lock(mu_);
  return outstanding_total_;
}

void FakeXen::PageOut(Mfn mfn, int times) {
  std::lock_guard lock(mu_);
  paged_out_[mfn] = times;
}

// First fit from the lowest frame that may be free, aligned to the extent size: simple and
// deterministic, so tests can predict MFNs.
std::optional<Mfn> FakeXen::AllocFrames(uint32_t order, uint16_t owner) {
  if (order >= 20) return std::nullopt;
  const uint64_t n = uint64_t{1} << order;
  if (free_pages_ < n) return std::nullopt;
  for (Mfn base = (search_hint_ + n - 1) & ~(n - 1); base + n <= owner_.size(); base += n) {
    bool all_free = true;
    for (uint64_t k = 0; k < n && all_free; ++k) all_free = owner_[base + k] == kOwnerFree;
    if (!all_free) continue;
    for (uint64_t k = 0; k < n; ++k) owner_[base + k] = owner;
    free_pages_ -= n;
    if (base == search_hint_) search_hint_ = base + n;
    return base;
  }
  return std::nullopt;
}

void FakeXen::FreeFrames(Mfn mfn, uint64_t count) {
  for (uint64_t k = 0; k < count; ++k) {
    owner_[mfn + k] = kOwnerFree;
    m2p_[mfn + k] = ~Pfn{0};
  }
  free_pages_ += count;
  if (mfn < search_hint_) search_hint_ = mfn;
  ::fallocate(memfd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
              static_cast<off_t>(mfn * abi::kPageSize), static_cast<off_t>(count * abi::kPageSize));
}

// Xen's assign_pages() and claim rules (common/page_alloc.c): a domain may not exceed
// max_pages, and memory claimed by other domains is off limits.
bool FakeXen::AllocForDomain(FakeDomain& d, uint32_t order, Mfn* out) {
  const uint64_t n = uint64_t{1} << order;
  if (d.tot_pages + n > d.max_pages) return false;
  const uint64_t others_claims = outstanding_total_ - d.outstanding_pages;
  if (free_pages_ < others_claims || free_pages_ - others_claims < n) return false;
  std::optional<Mfn> mfn = AllocFrames(order, d.domid);
  if (!mfn) return false;
  d.tot_pages += n;
  uint64_t from_claim = std::min(n, d.outstanding_pages);
  d.outstanding_pages -= from_claim;
  outstanding_total_ -= from_claim;
  *out = *mfn;
  return true;
}

Result<long> FakeXen::MemoryOp(uint64_t cmd, void* arg) {
  std::lock_guard lock(mu_);
  abi::MemoryReservation r;
  std::memcpy(&r, arg, sizeof(r));
  switch (cmd) {
    case abi::kXenMemClaimPages:
      return ClaimPages(r);
    case abi::kXenMemPopulatePhysmap:
      return Populate(r);
    case abi::kXenMemDecreaseReservation:
      return Decrease(r);
    default:
      return Fail(ENOSYS);
  }
}

// domain_set_outstanding_pages(): 0 cancels; one claim at a time; the claim must exceed
// tot_pages and fit max_pages; only the part not yet allocated is reserved.
Result<long> FakeXen::ClaimPages(const abi::MemoryReservation& r) {
  FakeDomain* d = Find(r.domid);
  if (d == nullptr || d->dying) return Fail(ESRCH);
  if (r.extent_order != 0) return Fail(EINVAL);
  const uint64_t pages = r.nr_extents;
  if (pages == 0) {
    outstanding_total_ -= d->outstanding_pages;
    d->outstanding_pages = 0;
    return 0;
  }
  if (d->outstanding_pages != 0) return Fail(EINVAL);
  if (pages <= d->tot_pages || pages > d->max_pages) return Fail(EINVAL);
  const uint64_t claim = pages - d->tot_pages;
  if (free_pages_ < outstanding_total_ || claim > free_pages_ - outstanding_total_) {
    return Fail(ENOMEM);
  }
  d->outstanding_pages = claim;
  outstanding_total_ += claim;
  return 0;
}

// populate_physmap for a PV guest: extent i gets 2^order fresh frames at guest pfn
// extent_start[i], whose first MFN is written back. Stops at the first failure and
// returns the number of extents done.
Result<long> FakeXen::Populate(abi::MemoryReservation& r) {
  FakeDomain* d = Find(r.domid);
  if (d == nullptr || d->dying) return Fail(ESRCH);
  if (r.extent_order > abi::kSuperpageOrder) return Fail(EINVAL);
  auto* list = reinterpret_cast<uint64_t*>(r.extent_start);
  const uint64_t n = uint64_t{1} << r.extent_order;
  long done = 0;
  for (uint64_t i = 0; i < r.nr_extents; ++i) {
    Pfn pfn = list[i];
    if (!CheckedAdd<uint64_t>(pfn, n)) break;
    Mfn mfn = 0;
    if (!AllocForDomain(*d, r.extent_order, &mfn)) break;
    for (uint64_t k = 0; k < n; ++k) {
      d->p2m[pfn + k] = mfn + k;
      m2p_[mfn + k] = pfn + k;
    }
    list[i] = mfn;
    ++done;
  }
  return done;
}

// decrease_reservation for a PV guest: the extents name MFNs the domain owns.
Result<long> FakeXen::Decrease(abi::MemoryReservation& r) {
  FakeDomain* d = Find(r.domid);
  if (d == nullptr || d->dying) return Fail(ESRCH);
  if (r.extent_order > abi::kSuperpageOrder) return Fail(EINVAL);
  const auto* list = reinterpret_cast<const uint64_t*>(r.extent_start);
  const uint64_t n = uint64_t{1} << r.extent_order;
  long done = 0;
  for (uint64_t i = 0; i < r.nr_extents; ++i) {
    Mfn mfn = list[i];
    if ((mfn & (n - 1)) != 0 || mfn + n > owner_.size()) break;
    bool owned = true;
    for (uint64_t k = 0; k < n && owned; ++k) owned = owner_[mfn + k] == d->domid;
    if (!owned) break;
    for (uint64_t k = 0; k < n; ++k) d->p2m.erase(m2p_[mfn + k]);
    FreeFrames(mfn, n);
    d->tot_pages -= n;
    ++done;
  }
  return done;
}

Result<ForeignMapping> FakeXen::ReserveMapping(size_t pages, int prot) {
  std::optional<size_t> len = CheckedMul(pages, abi::kPageSize);
  if (pages == 0 || !len) return Error::Invalid("mmap(privcmd)", "bad mapping size");
  // Unbacked until MmapBatch/MmapResource fills it, like the privcmd VMA.
  ScopedMmap m =
      TRY(ScopedMmap::Map(*len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
  auto addr = reinterpret_cast<uintptr_t>(m.get());
  {
    std::lock_guard lock(mu_);
    regions_[addr] = Region{pages, prot, false, std::vector<bool>(pages, false), {}};
  }
  return ForeignMapping(std::move(m), [this, addr] { ReleaseRegion(addr); });
}

void FakeXen::ReleaseRegion(uintptr_t addr) {
  std::lock_guard lock(mu_);
  auto it = regions_.find(addr);
  if (it == regions_.end()) return;
  for (DomId id : it->second.refs) {
    FakeDomain* d = Find(id);
    if (d == nullptr) continue;
    if (--d->mapping_refs == 0 && d->dying) Reap(id);
  }
  regions_.erase(it);
}

Result<void> FakeXen::MapInto(Region& region, uintptr_t base, std::byte* at, Mfn mfn, DomId dom) {
  void* p = ::mmap(at, abi::kPageSize, region.prot, MAP_SHARED | MAP_FIXED, memfd_.get(),
                   static_cast<off_t>(mfn * abi::kPageSize));
  if (p == MAP_FAILED) return Error::FromErrno("mmap(MAP_FIXED)", errno);
  region.mapped[(reinterpret_cast<uintptr_t>(at) - base) / abi::kPageSize] = true;
  if (region.refs.insert(dom).second) ++Find(dom)->mapping_refs;
  return {};
}

Result<void> FakeXen::MmapBatch(DomId dom, std::byte* addr, std::span<const uint64_t> frames,
                                std::span<int> errs) {
  std::lock_guard lock(mu_);
  if (errs.size() != frames.size()) return Fail(EINVAL);
  // Linux privcmd_ioctl_mmap_batch(): the first batch must cover the whole privcmd VMA;
  // later ones may only fill holes a previous batch left (paged-out frames).
  auto it = regions_.upper_bound(reinterpret_cast<uintptr_t>(addr));
  if (it == regions_.begin()) return Fail(EINVAL);
  --it;
  Region& region = it->second;
  const uintptr_t offset = reinterpret_cast<uintptr_t>(addr) - it->first;
  const size_t first_page = offset / abi::kPageSize;
  if (offset % abi::kPageSize != 0 || first_page + frames.size() > region.pages) {
    return Fail(EINVAL);
  }
  if (!region.filled) {
    if (first_page != 0 || frames.size() != region.pages) return Fail(EINVAL);
    region.filled = true;
  } else {
    for (size_t i = 0; i < frames.size(); ++i) {
      if (region.mapped[first_page + i]) return Fail(EINVAL);
    }
  }
  FakeDomain* d = Find(dom);
  bool paged = false;
  for (size_t i = 0; i < frames.size(); ++i) {
    const Mfn mfn = frames[i];
    if (d == nullptr || d->dying) {
      errs[i] = -ESRCH;
      continue;
    }
    auto po = paged_out_.find(mfn);
    if (po != paged_out_.end()) {
      if (--po->second <= 0) paged_out_.erase(po);
      errs[i] = -ENOENT;
      paged = true;
      continue;
    }
    const bool mappable =
        mfn < owner_.size() && (owner_[mfn] == d->domid || mfn == d->shared_info_mfn);
    if (!mappable) {
      errs[i] = -EINVAL;
      continue;
    }
    Result<void> r = MapInto(region, it->first, addr + i * abi::kPageSize, mfn, dom);
    errs[i] = r.has_value() ? 0 : -r.error().errno_value();
  }
  if (paged) return Fail(ENOENT);
  return {};
}

Result<void> FakeXen::MmapResource(DomId dom, uint32_t type, uint32_t id, uint32_t frame,
                                   uint32_t nr, std::byte* addr) {
  std::lock_guard lock(mu_);
  auto it = regions_.find(reinterpret_cast<uintptr_t>(addr));
  if (it == regions_.end() || nr != it->second.pages || it->second.filled) return Fail(EINVAL);
  FakeDomain* d = Find(dom);
  if (d == nullptr || d->dying) return Fail(ESRCH);
  // Only grant table frame 0 exists in this model (a domain's first grant frame).
  if (type != abi::kXenMemResourceGrantTable || id != abi::kXenMemResourceGrantTableIdShared ||
      frame != 0 || nr != 1) {
    return Fail(EINVAL);
  }
  it->second.filled = true;
  return MapInto(it->second, it->first, addr, d->grant_mfn, dom);
}

}  // namespace krata::xen
