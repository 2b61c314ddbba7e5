#pragma once
// The PV console ring (xen/include/public/io/console.h, struct xencons_interface): in[1024]
// carries host->guest bytes, out[2048] guest->host, then four free-running u32 indexes
// in_cons, in_prod, out_cons, out_prod. The guest writes out_prod and in_cons; we write
// out_cons and in_prod.
//
// The page is shared with the guest, so every index it writes is untrusted and may change
// under us: each is read once, checked (producer - consumer <= ring size), then used.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace krata::xen::console {

inline constexpr size_t kInSize = 1024;
inline constexpr size_t kOutSize = 2048;
inline constexpr size_t kInConsOffset = kInSize + kOutSize;  // 3072
inline constexpr size_t kInProdOffset = kInConsOffset + 4;
inline constexpr size_t kOutConsOffset = kInConsOffset + 8;
inline constexpr size_t kOutProdOffset = kInConsOffset + 12;
inline constexpr size_t kRingBytes = kInConsOffset + 16;

class ConsoleRing {
 public:
  // page must be at least kRingBytes long and outlive the ring.
  explicit ConsoleRing(std::span<std::byte> page) : page_(page) {}

  // Appends what the guest wrote to `out` and consumes it. Error if the guest's indexes are
  // impossible (the guest is misbehaving; the caller should stop serving it).
  Result<size_t> ReadOutput(std::string& out);
  // Queues as much of `data` as fits for the guest to read; returns how many bytes.
  Result<size_t> WriteInput(std::string_view data);

 private:
  uint32_t Load(size_t offset) const;
  void Store(size_t offset, uint32_t v);
  std::span<std::byte> page_;
};

}  // namespace krata::xen::console
