#pragma once
// ScopedMmap: owns one mmap(2) region and munmaps it on destruction.

#include <cstddef>
#include <span>
#include <utility>

#include "base/result.h"

namespace krata {

class ScopedMmap {
 public:
  ScopedMmap() = default;
  ScopedMmap(void* addr, size_t len) : addr_(addr), len_(len) {}
  ~ScopedMmap() { reset(); }
  ScopedMmap(ScopedMmap&& o) noexcept
      : addr_(std::exchange(o.addr_, nullptr)), len_(std::exchange(o.len_, 0)) {}
  ScopedMmap& operator=(ScopedMmap&& o) noexcept {
    if (this != &o) {
      reset();
      addr_ = std::exchange(o.addr_, nullptr);
      len_ = std::exchange(o.len_, 0);
    }
    return *this;
  }
  ScopedMmap(const ScopedMmap&) = delete;
  ScopedMmap& operator=(const ScopedMmap&) = delete;

  // mmap(NULL, len, prot, flags, fd, offset).
  static Result<ScopedMmap> Map(size_t len, int prot, int flags, int fd, off_t offset);

  void* get() const { return addr_; }
  size_t size() const { return len_; }
  std::span<std::byte> bytes() const { return {static_cast<std::byte*>(addr_), len_}; }
  explicit operator bool() const { return addr_ != nullptr; }
  void reset();

 private:
  void* addr_ = nullptr;
  size_t len_ = 0;
};

}  // namespace krata
