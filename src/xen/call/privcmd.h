#pragma once
// Privcmd: the seam between our hypercall code and the kernel's /dev/xen/privcmd driver.
// LinuxPrivcmd is the real one; FakePrivcmd (fake_privcmd.h) answers in unit tests.
// Thread-safety: implementations must allow concurrent Hypercall() calls.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/result.h"
#include "base/scoped_mmap.h"

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

class Privcmd {
 public:
  virtual ~Privcmd() = default;
  // At least `bytes` of hypercall-safe memory, zeroed, page-granular.
  virtual Result<HypercallBuffer> AllocBuffer(size_t bytes) = 0;
  // Issues hypercall `op`; returns its non-negative result, or an Error whose errno is the
  // hypercall's (Xen returns -errno).
  virtual Result<long> Hypercall(uint64_t op, const std::array<uint64_t, 5>& args) = 0;
};

// Opens /dev/xen/privcmd and, when present, /dev/xen/hypercall for buffers.
Result<std::unique_ptr<Privcmd>> OpenLinuxPrivcmd();

}  // namespace krata::xen
