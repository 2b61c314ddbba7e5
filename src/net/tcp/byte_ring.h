#pragma once
// A fixed-capacity byte ring for the host->zone direction of one TCP flow: bytes read from
// the host socket stay here until the zone acknowledges them. The storage is allocated on
// first use (most flows are short) and never zero-filled.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/bytes.h"

namespace krata::net::tcp {

class ByteRing {
 public:
  explicit ByteRing(size_t capacity) : cap_(capacity) {}

  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  size_t free() const { return cap_ - size_; }

  // One readv(2) into the free space (both parts when it wraps). Returns what read returned:
  // bytes read, 0 at end of stream, -1 with errno set (EINTR retried).
  ssize_t ReadFrom(int fd);
  // Bytes [offset, offset + len) of the content as one span; when they wrap they are copied
  // into `scratch` (which must hold len bytes).
  ByteSpan View(size_t offset, size_t len, std::span<std::byte> scratch) const;
  // Drops the first n bytes (n <= size()).
  void Consume(size_t n);

 private:
  std::unique_ptr<std::byte[]> buf_;
  size_t cap_;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace krata::net::tcp
