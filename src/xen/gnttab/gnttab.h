#pragma once
// Grant tables from user space: GrantMapper maps pages another domain granted us
// (/dev/xen/gntdev: a backend maps a guest's ring page), GrantAllocator grants our pages to
// another domain (/dev/xen/gntalloc: for backends that offer the memory themselves). Both hand
// out RAII objects that unmap and release the grants when destroyed.
//
// Linux implementations: OpenLinuxGrantMapper, OpenLinuxGrantAllocator (linux_gntdev.cc,
// linux_gntalloc.cc). In-memory fakes for unit tests: fake_gnttab.h.
// Semantics: Linux drivers/xen/gntdev.c, gntalloc.c and include/uapi/xen/gntdev.h.
//
// Lifetime: a GrantMapper or GrantAllocator must outlive every mapping it returned.
// Thread-safety: implementations allow concurrent calls.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "xen/evtchn/evtchn.h"

namespace krata::xen::gnttab {

using DomId = uint16_t;  // domid_t (xen/include/public/xen.h)

// A grant reference: an index into the granting domain's grant table (grant_ref_t).
struct GrantRef {
  uint32_t value = 0;
  friend constexpr auto operator<=>(GrantRef, GrantRef) = default;
};

enum class Access { kReadOnly, kReadWrite };

inline constexpr size_t kPageSize = 4096;
// Our cap on pages per map or allocation: far above any ring, and keeps sizes small.
inline constexpr size_t kMaxPagesPerCall = 1024;
inline constexpr char kGntdevDevice[] = "/dev/xen/gntdev";
inline constexpr char kGntallocDevice[] = "/dev/xen/gntalloc";

// What the kernel does when our mapping goes away, including when we crash, so the other
// domain notices (IOCTL_GNTDEV_SET_UNMAP_NOTIFY / IOCTL_GNTALLOC_SET_UNMAP_NOTIFY). One
// notification per mapping; setting it again replaces it.
struct UnmapNotify {
  // Byte offset within the mapping set to 0 on unmap (e.g. a "connected" flag).
  std::optional<size_t> clear_byte;
  // Local port, bound through /dev/xen/evtchn in this process, to notify on unmap.
  std::optional<evtchn::Port> event_port;
};

// Implemented by each backend; GrantMapping calls back into it. Not for other users.
class MappingOwner {
 public:
  // Unmaps `pages` pages at `addr` and drops the device's record at `index`. Logs failures.
  virtual void ReleaseMapping(uint64_t index, void* addr, size_t pages) = 0;
  // `notify` has been validated against the mapping.
  virtual Status SetUnmapNotify(uint64_t index, void* addr, const UnmapNotify& notify) = 0;

 protected:
  ~MappingOwner() = default;
};

// GrantMapping: granted pages mapped contiguously into our address space. Move-only; unmaps
// on destruction (munmap, then the device's unmap ioctl). Empty when default-constructed.
class GrantMapping {
 public:
  GrantMapping() = default;
  // For implementations: takes ownership of a mapping the owner made.
  GrantMapping(MappingOwner* owner, uint64_t index, void* addr, size_t pages, Access access)
      : owner_(owner), index_(index), addr_(addr), pages_(pages), access_(access) {}
  ~GrantMapping() { reset(); }
  GrantMapping(GrantMapping&& o) noexcept { *this = std::move(o); }
  GrantMapping& operator=(GrantMapping&& o) noexcept;
  GrantMapping(const GrantMapping&) = delete;
  GrantMapping& operator=(const GrantMapping&) = delete;

  std::byte* data() const { return static_cast<std::byte*>(addr_); }
  size_t size() const { return pages_ * kPageSize; }
  size_t pages() const { return pages_; }
  // Writing through a kReadOnly mapping faults.
  std::span<std::byte> bytes() const { return {data(), size()}; }
  Access access() const { return access_; }
  // The device offset (mmap offset) of the mapping.
  uint64_t index() const { return index_; }
  explicit operator bool() const { return owner_ != nullptr; }

  // Arms the unmap notification. Errors: Invalid when empty, nothing is requested,
  // clear_byte is out of range or the mapping is read-only (the kernel could not clear it);
  // otherwise the device's errno.
  Status SetUnmapNotify(const UnmapNotify& notify);
  // Unmaps now (the notification, if armed, fires) and becomes empty.
  void reset();

 private:
  MappingOwner* owner_ = nullptr;
  uint64_t index_ = 0;
  void* addr_ = nullptr;
  size_t pages_ = 0;
  Access access_ = Access::kReadOnly;
};

class GrantMapper {
 public:
  virtual ~GrantMapper() = default;
  // Maps refs granted to us by `domid`, in order, into one contiguous region: readable, and
  // writable for kReadWrite (the grants must then be writable). Errors name the domain and
  // refs; Invalid for no refs or more than kMaxPagesPerCall.
  virtual Result<GrantMapping> Map(DomId domid, std::span<const GrantRef> refs, Access access) = 0;
  Result<GrantMapping> MapOne(DomId domid, GrantRef ref, Access access) {
    return Map(domid, std::span<const GrantRef>(&ref, 1), access);
  }
};

// SharedPages: our zeroed pages granted to another domain, mapped read-write for us. On
// destruction our mapping goes and the grants end; the other domain keeps pages it still
// maps until it unmaps them (gntalloc frees them then).
class SharedPages {
 public:
  SharedPages() = default;
  SharedPages(GrantMapping memory, std::vector<GrantRef> refs)
      : memory_(std::move(memory)), refs_(std::move(refs)) {}

  std::span<std::byte> bytes() const { return memory_.bytes(); }
  // One ref per page, in page order: what the other domain maps (e.g. written to xenstore).
  const std::vector<GrantRef>& refs() const { return refs_; }
  Status SetUnmapNotify(const UnmapNotify& notify) { return memory_.SetUnmapNotify(notify); }
  const GrantMapping& memory() const { return memory_; }
  explicit operator bool() const { return static_cast<bool>(memory_); }
  void reset() {
    memory_.reset();
    refs_.clear();
  }

 private:
  GrantMapping memory_;
  std::vector<GrantRef> refs_;
};

class GrantAllocator {
 public:
  virtual ~GrantAllocator() = default;
  // Allocates `count` zeroed pages and grants them to `domid`, which may write them when
  // remote_access is kReadWrite. Invalid for count 0 or above kMaxPagesPerCall.
  virtual Result<SharedPages> Allocate(DomId domid, size_t count, Access remote_access) = 0;
};

// Open the devices (O_RDWR | O_CLOEXEC). A missing device gives an error naming it and the
// module to load (xen-gntdev, xen-gntalloc).
Result<std::unique_ptr<GrantMapper>> OpenLinuxGrantMapper(const std::string& path = kGntdevDevice);
Result<std::unique_ptr<GrantAllocator>> OpenLinuxGrantAllocator(
    const std::string& path = kGntallocDevice);

}  // namespace krata::xen::gnttab
