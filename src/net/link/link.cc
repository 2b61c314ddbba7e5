#include "net/link/link.h"

namespace krata::net {

Result<size_t> Link::ReceiveBatch(std::span<const std::span<uint8_t>> bufs,
                                  std::span<size_t> lens) {
  size_t n = 0;
  while (n < bufs.size() && n < lens.size()) {
    size_t len = TRY(Receive(bufs[n]));
    if (len == 0) break;
    lens[n++] = len;
  }
  return n;
}

size_t Link::SendBatch(std::span<const ByteSpan> frames) {
  size_t sent = 0;
  for (ByteSpan f : frames) sent += Send(f) ? 1 : 0;
  return sent;
}

}  // namespace krata::net
