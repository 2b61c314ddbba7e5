#include "net/tcp/byte_ring.h"

#include <sys/uio.h>

#include <algorithm>
#include <cstring>

#include "base/eintr.h"

namespace krata::net::tcp {

ssize_t ByteRing::ReadFrom(int fd) {
  if (free() == 0) return -1;
  if (!buf_) buf_ = std::make_unique_for_overwrite<std::byte[]>(cap_);
  size_t tail = (head_ + size_) % cap_;
  iovec iov[2];
  int n = 0;
  size_t first = std::min(free(), cap_ - tail);
  iov[n++] = {buf_.get() + tail, first};
  if (first < free()) iov[n++] = {buf_.get(), free() - first};
  ssize_t r = RetryEintr([&] { return readv(fd, iov, n); });
  if (r > 0) size_ += static_cast<size_t>(r);
  return r;
}

ByteSpan ByteRing::View(size_t offset, size_t len, std::span<std::byte> scratch) const {
  if (len == 0) return {};
  size_t start = (head_ + offset) % cap_;
  if (start + len <= cap_) return {buf_.get() + start, len};
  size_t first = cap_ - start;
  std::memcpy(scratch.data(), buf_.get() + start, first);
  std::memcpy(scratch.data() + first, buf_.get(), len - first);
  return {scratch.data(), len};
}

void ByteRing::Consume(size_t n) {
  n = std::min(n, size_);
  size_ -= n;
  head_ = size_ == 0 ? 0 : (head_ + n) % cap_;
}

}  // namespace krata::net::tcp
