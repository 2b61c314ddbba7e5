// Fuzzes the console ring backend with an arbitrary shared page (what a hostile guest controls).
// Invariants: we never read more than the ring holds, a successful read consumes exactly what
// the guest produced, and input never overruns what the guest has consumed.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "xen/console/ring.h"

using namespace krata::xen::console;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::byte> page(4096);
  std::memcpy(page.data(), data, std::min<size_t>(size, page.size()));
  auto get = [&](size_t off) {
    uint32_t v;
    std::memcpy(&v, page.data() + off, 4);
    return v;
  };
  ConsoleRing ring(page);
  const uint32_t avail = get(kOutProdOffset) - get(kOutConsOffset);
  std::string out;
  krata::Result<size_t> r = ring.ReadOutput(out);
  if (r.has_value()) {
    if (*r != avail || avail > kOutSize || out.size() != avail) std::abort();
    if (get(kOutConsOffset) != get(kOutProdOffset)) std::abort();
  } else if (avail <= kOutSize) {
    std::abort();
  }
  const uint32_t used = get(kInProdOffset) - get(kInConsOffset);
  std::string input(size > 4096 ? size - 4096 : 7, 'x');
  krata::Result<size_t> w = ring.WriteInput(input);
  if (w.has_value() && (used > kInSize || used + *w > kInSize)) std::abort();
  if (!w.has_value() && used <= kInSize) std::abort();
  return 0;
}
