#pragma once
// In-memory grant tables for unit tests of backends, no Xen needed.
//
// FakeGrantTable (a GrantMapper): the test plays the guest and grants pages with AddGrant(),
// getting the guest's own view of each page; Map() then gives the code under test a mapping
// that aliases those pages, so a ring written by the "guest" is seen by the backend and vice
// versa. FakeGrantAllocator (a GrantAllocator): the code under test allocates pages, and the
// test maps them as the guest with GuestMap().
//
// Both check the same rules as Xen and Linux (the grant exists, is for that domain, is writable
// when mapped writable), carry out unmap notifications when a mapping goes (clearing the byte
// through the shared page; recording the event port, see TakeUnmapEvents()), count live
// mappings so tests can assert nothing leaks, and abort if destroyed while mappings they handed
// out are still alive. Errors that the real devices report from mmap(2) (a bad or read-only
// grant) come from Map() here, with the same op name.
//
// Thread-safety: all methods may be called from any thread.

#include <map>
#include <mutex>
#include <vector>

#include "base/scoped_mmap.h"
#include "xen/gnttab/fake_pages.h"
#include "xen/gnttab/gnttab.h"

namespace krata::xen::gnttab {

class FakeGrantTable final : public GrantMapper, private MappingOwner {
 public:
  FakeGrantTable() = default;
  ~FakeGrantTable() override;
  FakeGrantTable(const FakeGrantTable&) = delete;
  FakeGrantTable& operator=(const FakeGrantTable&) = delete;

  // Guest `domid` grants us a new zeroed page as `ref`, writable if `access` is kReadWrite.
  // Returns the guest's read-write view of the page, valid while the fake lives. EEXIST if
  // that grant already exists.
  Result<std::span<std::byte>> AddGrant(DomId domid, GrantRef ref, Access access);
  // The guest ends the grant: new maps fail, existing mappings stay (Xen does not revoke a
  // mapped grant).
  void EndGrant(DomId domid, GrantRef ref);
  // How many live mappings include the grant; and how many mappings are live in all.
  size_t MapCount(DomId domid, GrantRef ref) const;
  size_t live_mappings() const;
  // Ports "notified" by unmap notifications since the last call.
  std::vector<evtchn::Port> TakeUnmapEvents();
  // The next Map() fails with `errno_value` from the map ioctl.
  void FailNextMap(int errno_value);

  Result<GrantMapping> Map(DomId domid, std::span<const GrantRef> refs, Access access) override;

 private:
  struct Grant {
    size_t page;
    Access access;
    ScopedMmap guest_view;
    size_t maps = 0;
    bool ended = false;
  };
  struct Live {
    ScopedMmap region;
    std::vector<std::pair<DomId, uint32_t>> grants;
    UnmapNotify notify;
  };
  void ReleaseMapping(uint64_t index, void* addr, size_t pages) override;
  Status SetUnmapNotify(uint64_t index, void* addr, const UnmapNotify& notify) override;

  mutable std::mutex mu_;
  FakePageStore store_;
  std::map<std::pair<DomId, uint32_t>, Grant> grants_;
  std::map<uint64_t, Live> live_;
  uint64_t next_index_ = 0;
  int fail_next_ = 0;
  std::vector<evtchn::Port> unmap_events_;
};

class FakeGrantAllocator final : public GrantAllocator, private MappingOwner {
 public:
  FakeGrantAllocator() = default;
  ~FakeGrantAllocator() override;
  FakeGrantAllocator(const FakeGrantAllocator&) = delete;
  FakeGrantAllocator& operator=(const FakeGrantAllocator&) = delete;

  Result<SharedPages> Allocate(DomId domid, size_t count, Access remote_access) override;

  // Plays `domid` mapping our granted page `ref`. EINVAL unless the grant is active and for
  // `domid`; EPERM for kReadWrite on a read-only grant. The guest's mapping stays valid after
  // we free the pages, as a real guest's does.
  Result<ScopedMmap> GuestMap(DomId domid, GrantRef ref, Access access);
  bool IsGranted(GrantRef ref) const;
  size_t live_allocations() const;
  std::vector<evtchn::Port> TakeUnmapEvents();
  // The next Allocate() fails with `errno_value` from the alloc ioctl.
  void FailNextAlloc(int errno_value);

 private:
  struct Grant {
    DomId domid;
    size_t page;
    Access access;
    bool active = true;
  };
  struct Live {
    ScopedMmap region;
    std::vector<uint32_t> refs;
    UnmapNotify notify;
  };
  void ReleaseMapping(uint64_t index, void* addr, size_t pages) override;
  Status SetUnmapNotify(uint64_t index, void* addr, const UnmapNotify& notify) override;

  mutable std::mutex mu_;
  FakePageStore store_;
  std::map<uint32_t, Grant> grants_;
  std::map<uint64_t, Live> live_;
  uint32_t next_ref_ = 8;  // refs 0-7 are reserved (GNTTAB_NR_RESERVED_ENTRIES)
  uint64_t next_index_ = 0;
  int fail_next_ = 0;
  std::vector<evtchn::Port> unmap_events_;
};

}  // namespace krata::xen::gnttab
