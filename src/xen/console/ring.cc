#include "xen/console/ring.h"

#include <atomic>
#include <cstring>

namespace krata::xen::console {

// Indexes are naturally aligned u32s in the shared page: atomic_ref gives single, untorn
// loads and stores plus the ordering the ring protocol needs (the barriers of io/ring.h).
uint32_t ConsoleRing::Load(size_t offset) const {
  auto* p = reinterpret_cast<uint32_t*>(page_.data() + offset);
  return std::atomic_ref<uint32_t>(*p).load(std::memory_order_acquire);
}

void ConsoleRing::Store(size_t offset, uint32_t v) {
  auto* p = reinterpret_cast<uint32_t*>(page_.data() + offset);
  std::atomic_ref<uint32_t>(*p).store(v, std::memory_order_release);
}

Result<size_t> ConsoleRing::ReadOutput(std::string& out) {
  const uint32_t cons = Load(kOutConsOffset);
  const uint32_t prod = Load(kOutProdOffset);
  const uint32_t avail = prod - cons;  // free-running: wraps modulo 2^32
  if (avail > kOutSize) {
    return Error::Invalid("console ring", "guest reports " + std::to_string(avail) +
                                              " bytes in a 2048-byte ring");
  }
  const auto* ring = reinterpret_cast<const char*>(page_.data() + kInSize);
  for (uint32_t i = 0; i < avail; ++i) out.push_back(ring[(cons + i) % kOutSize]);
  Store(kOutConsOffset, cons + avail);
  return avail;
}

Result<size_t> ConsoleRing::WriteInput(std::string_view data) {
  const uint32_t cons = Load(kInConsOffset);
  const uint32_t prod = Load(kInProdOffset);
  const uint32_t used = prod - cons;
  if (used > kInSize) {
    return Error::Invalid("console ring", "guest consumed past our input");
  }
  const size_t n = std::min<size_t>(kInSize - used, data.size());
  auto* ring = reinterpret_cast<char*>(page_.data());
  for (size_t i = 0; i < n; ++i) ring[(prod + i) % kInSize] = data[i];
  Store(kInProdOffset, prod + static_cast<uint32_t>(n));
  return n;
}

}  // namespace krata::xen::console
