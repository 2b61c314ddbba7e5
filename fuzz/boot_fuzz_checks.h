#pragma once
// Invariants shared by the kernel-image fuzzers (bzimage_fuzzer, elf_fuzzer). Each check
// aborts, so libFuzzer and the corpus replay report a violation as a crash.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "xen/boot/kernel.h"
#include "xen/boot/xen_features.h"

namespace krata::xen::boot::fuzz {

#define BOOT_FUZZ_CHECK(cond)                                                           \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

inline bool Inside(ByteSpan inner, ByteSpan outer) {
  return inner.data() >= outer.data() && inner.size() <= outer.size() &&
         inner.data() - outer.data() <= static_cast<ptrdiff_t>(outer.size() - inner.size());
}

// Segments lie inside `elf` and inside [phys_start, phys_end).
inline void CheckImage(ByteSpan elf, const ElfImage& img) {
  BOOT_FUZZ_CHECK(!img.loads.empty());
  BOOT_FUZZ_CHECK(img.phys_start <= img.phys_end);
  for (const ElfSegment& s : img.loads) {
    BOOT_FUZZ_CHECK(s.offset <= elf.size() && s.filesz <= elf.size() - s.offset);
    BOOT_FUZZ_CHECK(s.filesz <= s.memsz);
    BOOT_FUZZ_CHECK(s.paddr >= img.phys_start && s.memsz <= img.phys_end - s.paddr);
  }
  for (const ElfSegment& s : img.notes) {
    BOOT_FUZZ_CHECK(s.offset <= elf.size() && s.filesz <= elf.size() - s.offset);
  }
}

inline void CheckInfo(const ElfImage& img, const PvKernelInfo& info) {
  BOOT_FUZZ_CHECK(info.phys_start == img.phys_start && info.phys_end == img.phys_end);
  BOOT_FUZZ_CHECK(info.phys_start < info.phys_end);
  BOOT_FUZZ_CHECK(info.kernel_size() <= kMaxKernelSpan);
  BOOT_FUZZ_CHECK(info.paddr_offset <= info.virt_base);
  BOOT_FUZZ_CHECK(info.virt_offset == info.virt_base - info.paddr_offset);
  BOOT_FUZZ_CHECK(info.virt_kstart == info.phys_start + info.virt_offset);
  BOOT_FUZZ_CHECK(info.virt_kend - info.virt_kstart == info.kernel_size());
  BOOT_FUZZ_CHECK(info.virt_base <= info.virt_kstart);
  BOOT_FUZZ_CHECK(info.entry >= info.virt_kstart && info.entry < info.virt_kend);
  BOOT_FUZZ_CHECK((info.features_required & ~kBuilderFeatures) == 0);
  BOOT_FUZZ_CHECK((info.features_required & ~info.features_supported) == 0);
  if (info.init_p2m) {
    BOOT_FUZZ_CHECK(*info.init_p2m < info.virt_kstart || *info.init_p2m >= info.virt_kend);
  }
}

// Copies the segments into a buffer (when small) and checks every byte: file bytes of the
// segment that lands last, zeros everywhere else.
inline void CheckCopy(ByteSpan elf, const ElfImage& img) {
  constexpr uint64_t kMaxCopy = 4 << 20;
  const uint64_t span = img.phys_end - img.phys_start;
  if (span > kMaxCopy) return;
  std::vector<std::byte> dst(span + 1, std::byte{0xa5});
  BOOT_FUZZ_CHECK(CopySegments(elf, img, dst).has_value());
  BOOT_FUZZ_CHECK(dst[span] == std::byte{0xa5});  // nothing written past the kernel
  std::vector<std::byte> want(span, std::byte{0});
  for (const ElfSegment& s : img.loads) {
    size_t at = s.paddr - img.phys_start;
    std::memcpy(want.data() + at, elf.data() + s.offset, s.filesz);
    std::memset(want.data() + at + s.filesz, 0, s.memsz - s.filesz);
  }
  BOOT_FUZZ_CHECK(span == 0 || std::memcmp(dst.data(), want.data(), span) == 0);
  if (span > 0) {
    std::vector<std::byte> small(span - 1);
    BOOT_FUZZ_CHECK(!CopySegments(elf, img, small).has_value());
  }
}

inline void CheckLoaded(ByteSpan input, const LoadedKernel& k, size_t max_decompressed) {
  if (k.storage.empty()) {
    BOOT_FUZZ_CHECK(Inside(k.elf, input));
  } else {
    BOOT_FUZZ_CHECK(k.elf.data() == k.storage.data() && k.elf.size() == k.storage.size());
    BOOT_FUZZ_CHECK(k.storage.size() <= max_decompressed);
  }
  BOOT_FUZZ_CHECK(IsElf(k.elf));
  CheckImage(k.elf, k.image);
  CheckInfo(k.image, k.info);
  CheckCopy(k.elf, k.image);
}

}  // namespace krata::xen::boot::fuzz
