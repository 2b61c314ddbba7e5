#include "xen/gnttab/fake_gnttab.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace krata::xen::gnttab {
namespace {

int Prot(Access access) { return PROT_READ | (access == Access::kReadWrite ? PROT_WRITE : 0); }

std::string GrantName(DomId domid, uint32_t ref) {
  return "domain " + std::to_string(domid) + " ref " + std::to_string(ref);
}

// What the kernel does when a mapping with an armed notification goes away.
void FireUnmapNotify(const UnmapNotify& notify, const ScopedMmap& region,
                     std::vector<evtchn::Port>& events) {
  if (notify.clear_byte.has_value()) region.bytes()[*notify.clear_byte] = std::byte{0};
  if (notify.event_port.has_value()) events.push_back(*notify.event_port);
}

[[noreturn]] void DieWithLiveMappings(const char* who, size_t n) {
  std::fprintf(stderr, "%s destroyed with %zu live mappings\n", who, n);
  std::abort();
}

}  // namespace

// ---- FakeGrantTable ----

FakeGrantTable::~FakeGrantTable() {
  if (!live_.empty()) DieWithLiveMappings("FakeGrantTable", live_.size());
}

Result<std::span<std::byte>> FakeGrantTable::AddGrant(DomId domid, GrantRef ref, Access access) {
  std::lock_guard lock(mu_);
  auto key = std::make_pair(domid, ref.value);
  if (grants_.count(key) != 0) {
    return Error::FromErrno("fake grant", EEXIST, GrantName(domid, ref.value));
  }
  size_t page = TRY(store_.AddPage());
  ScopedMmap view = TRY(store_.Map(std::span<const size_t>(&page, 1), PROT_READ | PROT_WRITE));
  std::span<std::byte> bytes = view.bytes();
  grants_.emplace(key, Grant{.page = page, .access = access, .guest_view = std::move(view)});
  return bytes;
}

void FakeGrantTable::EndGrant(DomId domid, GrantRef ref) {
  std::lock_guard lock(mu_);
  auto it = grants_.find({domid, ref.value});
  if (it != grants_.end()) it->second.ended = true;
}

size_t FakeGrantTable::MapCount(DomId domid, GrantRef ref) const {
  std::lock_guard lock(mu_);
  auto it = grants_.find({domid, ref.value});
  return it == grants_.end() ? 0 : it->second.maps;
}

size_t FakeGrantTable::live_mappings() const {
  std::lock_guard lock(mu_);
  return live_.size();
}

std::vector<evtchn::Port> FakeGrantTable::TakeUnmapEvents() {
  std::lock_guard lock(mu_);
  return std::exchange(unmap_events_, {});
}

void FakeGrantTable::FailNextMap(int errno_value) {
  std::lock_guard lock(mu_);
  fail_next_ = errno_value;
}

Result<GrantMapping> FakeGrantTable::Map(DomId domid, std::span<const GrantRef> refs,
                                         Access access) {
  std::lock_guard lock(mu_);
  if (refs.empty() || refs.size() > kMaxPagesPerCall) {
    return Error::Invalid("gntdev map", std::to_string(refs.size()) + " refs");
  }
  if (fail_next_ != 0) {
    return Error::FromErrno("ioctl(GNTDEV_MAP_GRANT_REF)", std::exchange(fail_next_, 0),
                            GrantName(domid, refs.front().value));
  }
  std::vector<size_t> pages;
  std::vector<std::pair<DomId, uint32_t>> keys;
  for (GrantRef ref : refs) {
    auto it = grants_.find({domid, ref.value});
    // Xen: GNTST_bad_gntref for a missing or ended grant, GNTST_permission_denied for a
    // writable map of a read-only grant; Linux reports both as a failed mmap(2).
    if (it == grants_.end() || it->second.ended) {
      return Error::FromErrno("mmap(gntdev)", EINVAL, GrantName(domid, ref.value));
    }
    if (access == Access::kReadWrite && it->second.access != Access::kReadWrite) {
      return Error::FromErrno("mmap(gntdev)", EPERM, GrantName(domid, ref.value) + " is read-only");
    }
    pages.push_back(it->second.page);
    keys.push_back(it->first);
  }
  ScopedMmap region = TRY(store_.Map(pages, Prot(access)));
  for (const auto& key : keys) ++grants_[key].maps;
  uint64_t index = next_index_;
  next_index_ += refs.size() * kPageSize;
  void* addr = region.get();
  live_.emplace(index, Live{.region = std::move(region), .grants = std::move(keys), .notify = {}});
  return GrantMapping(this, index, addr, refs.size(), access);
}

void FakeGrantTable::ReleaseMapping(uint64_t index, void* addr, size_t pages) {
  std::lock_guard lock(mu_);
  auto it = live_.find(index);
  if (it == live_.end() || it->second.region.get() != addr ||
      it->second.region.size() != pages * kPageSize) {
    std::fprintf(stderr, "FakeGrantTable: release of an unknown mapping\n");
    std::abort();
  }
  FireUnmapNotify(it->second.notify, it->second.region, unmap_events_);
  for (const auto& key : it->second.grants) --grants_[key].maps;
  live_.erase(it);  // munmaps
}

Status FakeGrantTable::SetUnmapNotify(uint64_t index, void*, const UnmapNotify& notify) {
  std::lock_guard lock(mu_);
  auto it = live_.find(index);
  if (it == live_.end()) return Error::FromErrno("ioctl(GNTDEV_SET_UNMAP_NOTIFY)", ENOENT);
  it->second.notify = notify;
  return {};
}

// ---- FakeGrantAllocator ----

FakeGrantAllocator::~FakeGrantAllocator() {
  if (!live_.empty()) DieWithLiveMappings("FakeGrantAllocator", live_.size());
}

Result<SharedPages> FakeGrantAllocator::Allocate(DomId domid, size_t count, Access remote_access) {
  std::lock_guard lock(mu_);
  if (count == 0 || count > kMaxPagesPerCall) {
    return Error::Invalid("gntalloc alloc", std::to_string(count) + " pages");
  }
  if (fail_next_ != 0) {
    return Error::FromErrno("ioctl(GNTALLOC_ALLOC_GREF)", std::exchange(fail_next_, 0),
                            "domain " + std::to_string(domid));
  }
  std::vector<size_t> pages;
  for (size_t i = 0; i < count; ++i) pages.push_back(TRY(store_.AddPage()));
  ScopedMmap region = TRY(store_.Map(pages, PROT_READ | PROT_WRITE));
  std::vector<GrantRef> refs;
  std::vector<uint32_t> raw_refs;
  for (size_t page : pages) {
    uint32_t ref = next_ref_++;
    grants_.emplace(ref, Grant{.domid = domid, .page = page, .access = remote_access});
    refs.push_back(GrantRef{ref});
    raw_refs.push_back(ref);
  }
  uint64_t index = next_index_;
  next_index_ += count * kPageSize;
  void* addr = region.get();
  live_.emplace(index,
                Live{.region = std::move(region), .refs = std::move(raw_refs), .notify = {}});
  return SharedPages(GrantMapping(this, index, addr, count, Access::kReadWrite), std::move(refs));
}

Result<ScopedMmap> FakeGrantAllocator::GuestMap(DomId domid, GrantRef ref, Access access) {
  std::lock_guard lock(mu_);
  auto it = grants_.find(ref.value);
  if (it == grants_.end() || !it->second.active || it->second.domid != domid) {
    return Error::FromErrno("guest grant map", EINVAL, GrantName(domid, ref.value));
  }
  if (access == Access::kReadWrite && it->second.access != Access::kReadWrite) {
    return Error::FromErrno("guest grant map", EPERM,
                            GrantName(domid, ref.value) + " is read-only");
  }
  size_t page = it->second.page;
  return store_.Map(std::span<const size_t>(&page, 1), Prot(access));
}

bool FakeGrantAllocator::IsGranted(GrantRef ref) const {
  std::lock_guard lock(mu_);
  auto it = grants_.find(ref.value);
  return it != grants_.end() && it->second.active;
}

size_t FakeGrantAllocator::live_allocations() const {
  std::lock_guard lock(mu_);
  return live_.size();
}

std::vector<evtchn::Port> FakeGrantAllocator::TakeUnmapEvents() {
  std::lock_guard lock(mu_);
  return std::exchange(unmap_events_, {});
}

void FakeGrantAllocator::FailNextAlloc(int errno_value) {
  std::lock_guard lock(mu_);
  fail_next_ = errno_value;
}

void FakeGrantAllocator::ReleaseMapping(uint64_t index, void* addr, size_t pages) {
  std::lock_guard lock(mu_);
  auto it = live_.find(index);
  if (it == live_.end() || it->second.region.get() != addr ||
      it->second.region.size() != pages * kPageSize) {
    std::fprintf(stderr, "FakeGrantAllocator: release of an unknown mapping\n");
    std::abort();
  }
  FireUnmapNotify(it->second.notify, it->second.region, unmap_events_);
  for (uint32_t ref : it->second.refs) grants_[ref].active = false;  // the grants end
  live_.erase(it);
}

Status FakeGrantAllocator::SetUnmapNotify(uint64_t index, void*, const UnmapNotify& notify) {
  std::lock_guard lock(mu_);
  auto it = live_.find(index);
  if (it == live_.end()) return Error::FromErrno("ioctl(GNTALLOC_SET_UNMAP_NOTIFY)", ENOENT);
  it->second.notify = notify;
  return {};
}

}  // namespace krata::xen::gnttab
