#pragma once
// GuestPages: write access to the pages of the domain being built, by pfn. Production maps
// the domain's frames through privcmd; tests use VectorGuestPages.

#include <cstddef>
#include <span>
#include <vector>

#include "base/result.h"
#include "xen/call/types.h"

namespace krata::xen::builder {

class GuestPages {
 public:
  virtual ~GuestPages() = default;
  // A writable 4 KiB view of page `pfn`, valid until the GuestPages is destroyed.
  virtual Result<std::span<std::byte>> Page(Pfn pfn) = 0;
};

// Guest memory as one host vector: for unit tests.
class VectorGuestPages final : public GuestPages {
 public:
  explicit VectorGuestPages(size_t pages) : mem_(pages * 4096) {}
  Result<std::span<std::byte>> Page(Pfn pfn) override {
    if (pfn >= mem_.size() / 4096) return Error::Invalid("guest page", "pfn out of range");
    return std::span<std::byte>(mem_).subspan(pfn * 4096, 4096);
  }
  std::span<const std::byte> bytes() const { return mem_; }

 private:
  std::vector<std::byte> mem_;
};

}  // namespace krata::xen::builder
