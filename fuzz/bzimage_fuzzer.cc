// Fuzzes the bzImage setup-header parser, payload decompression (with a small output limit,
// so bombs must be refused) and the whole LoadKernel pipeline. Invariants: the payload is a
// subspan of the input at the offset the header gives; decompressed output never exceeds
// the limit; a loaded kernel's segments and layout are consistent (boot_fuzz_checks.h).

#include <cstdint>

#include "boot_fuzz_checks.h"
#include "xen/boot/bzimage.h"
#include "xen/boot/decompress.h"
#include "xen/boot/kernel.h"

using namespace krata::xen::boot;
using krata::ByteSpan;

namespace {
constexpr size_t kMaxOut = 1 << 20;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(reinterpret_cast<const std::byte*>(data), size);

  auto bz = ParseBzImage(in);
  if (bz.has_value()) {
    BOOT_FUZZ_CHECK(LooksLikeBzImage(in));
    BOOT_FUZZ_CHECK(bz->version >= kMinVersion);
    BOOT_FUZZ_CHECK(bz->setup_sects >= 1 && bz->setup_sects <= 255);
    BOOT_FUZZ_CHECK(bz->setup_size == (bz->setup_sects + 1) * kSectorSize);
    BOOT_FUZZ_CHECK(fuzz::Inside(bz->payload, in));
    BOOT_FUZZ_CHECK(!bz->payload.empty());
    BOOT_FUZZ_CHECK(bz->payload.data() == in.data() + bz->payload_offset);
    BOOT_FUZZ_CHECK(bz->payload_offset >= bz->setup_size);
    Compression c = DetectCompression(bz->payload);
    auto out = Decompress(c, bz->payload, kMaxOut);
    if (out.has_value()) {
      BOOT_FUZZ_CHECK(out->size() <= kMaxOut);
      BOOT_FUZZ_CHECK(c != Compression::kUnknown && c != Compression::kNone &&
                      c != Compression::kLzo);
    }
  }

  // The input itself as a bare compressed stream.
  auto raw = Decompress(in, kMaxOut);
  if (raw.has_value()) BOOT_FUZZ_CHECK(raw->size() <= kMaxOut);

  auto k = LoadKernel(in, kMaxOut);
  if (k.has_value()) fuzz::CheckLoaded(in, *k, kMaxOut);
  return 0;
}
