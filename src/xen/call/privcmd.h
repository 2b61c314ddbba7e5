#pragma once
// Privcmd: the seam between our hypercall code and the kernel's /dev/xen/privcmd driver.
// LinuxPrivcmd is the real one; FakePrivcmd (fake_privcmd.h) answers in unit tests.
// Thread-safety: implementations must allow concurrent calls.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <utility>

#include "base/result.h"
#include "base/scoped_mmap.h"
#include "xen/call/types.h"

namespace krata::xen {

// Memory a hypercall argument may live in. Xen reads and writes it by guest virtual
// address while the hypercall runs, so it must be locked and never copy-on-write shared
// with a forked child: Linux's /dev/xen/hypercall gives exactly that.
class HypercallBuffer {
 public:
  HypercallBuffer() = default;
  explicit HypercallBuffer(ScopedMmap map) : map_(std::move(map)) {}
  void* data() const { return map_.get(); }
  size_t size() const { return map_.size(); }
  uint64_t address() const { return reinterpret_cast<uint64_t>(map_.get()); }
  template <typename T>
  T* as() const {
    return static_cast<T*>(map_.get());
  }

 private:
  ScopedMmap map_;
};

// Pages of another domain (or of a Xen resource) mapped into this process. Unmaps on
// destruction; `on_release` then runs (the fake counts live mappings with it). Move-only.
class ForeignMapping {
 public:
  ForeignMapping() = default;
  explicit ForeignMapping(ScopedMmap map, std::function<void()> on_release = {})
      : map_(std::move(map)), on_release_(std::move(on_release)) {}
  ~ForeignMapping() { reset(); }
  ForeignMapping(ForeignMapping&& o) noexcept
      : map_(std::move(o.map_)), on_release_(std::exchange(o.on_release_, nullptr)) {}
  ForeignMapping& operator=(ForeignMapping&& o) noexcept {
    if (this != &o) {
      reset();
      map_ = std::move(o.map_);
      on_release_ = std::exchange(o.on_release_, nullptr);
    }
    return *this;
  }
  ForeignMapping(const ForeignMapping&) = delete;
  ForeignMapping& operator=(const ForeignMapping&) = delete;

  std::byte* data() const { return static_cast<std::byte*>(map_.get()); }
  size_t size() const { return map_.size(); }
  size_t pages() const { return map_.size() / 4096; }
  std::span<std::byte> bytes() const { return map_.bytes(); }
  // The i-th 4 KiB page; i must be < pages().
  std::span<std::byte> page(size_t i) const { return bytes().subspan(i * 4096, 4096); }
  explicit operator bool() const { return static_cast<bool>(map_); }
  void reset() {
    map_.reset();
    if (on_release_) std::exchange(on_release_, nullptr)();
  }

 private:
  ScopedMmap map_;
  std::function<void()> on_release_;
};

class Privcmd {
 public:
  virtual ~Privcmd() = default;
  // At least `bytes` of hypercall-safe memory, zeroed, page-granular.
  virtual Result<HypercallBuffer> AllocBuffer(size_t bytes) = 0;
  // Issues hypercall `op`; returns its non-negative result, or an Error whose errno is the
  // hypercall's (Xen returns -errno).
  virtual Result<long> Hypercall(uint64_t op, const std::array<uint64_t, 5>& args) = 0;

  // The raw mapping primitives; mapping.h builds MapForeign/MapResource on them.
  // An address range of `pages` pages that MmapBatch/MmapResource may fill (on Linux an
  // mmap of /dev/xen/privcmd). Unmapped when the returned mapping dies.
  virtual Result<ForeignMapping> ReserveMapping(size_t pages, int prot) = 0;
  // IOCTL_PRIVCMD_MMAPBATCH_V2: maps frames[i] of `dom` at addr + i pages. errs[i] gets 0
  // or a negative errno per frame. Fails with ENOENT when some frames are paged out (their
  // errs are -ENOENT; retry those), and with other errnos on global failure. Per-frame
  // errors other than ENOENT leave the call itself successful: always check errs.
  virtual Result<void> MmapBatch(DomId dom, std::byte* addr, std::span<const uint64_t> frames,
                                 std::span<int> errs) = 0;
  // IOCTL_PRIVCMD_MMAP_RESOURCE: maps frames [frame, frame + nr) of resource (type, id) of
  // `dom` at addr.
  virtual Result<void> MmapResource(DomId dom, uint32_t type, uint32_t id, uint32_t frame,
                                    uint32_t nr, std::byte* addr) = 0;
};

// Opens /dev/xen/privcmd and, when present, /dev/xen/hypercall for buffers.
Result<std::unique_ptr<Privcmd>> OpenLinuxPrivcmd();

}  // namespace krata::xen
