#include "xen/boot/kernel.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "base/checked.h"
#include "xen/boot/bzimage.h"

namespace krata::xen::boot {
namespace {

constexpr std::string_view kOp = "load kernel";

// Decompresses `payload` unless it already is an ELF image.
Status Unpack(ByteSpan payload, size_t max, LoadedKernel& k) {
  k.compression = DetectCompression(payload);
  if (k.compression == Compression::kNone) {
    k.elf = payload;
    return {};
  }
  k.storage = TRY(Decompress(k.compression, payload, max));
  k.elf = k.storage;
  return {};
}

}  // namespace

Result<LoadedKernel> LoadKernel(ByteSpan file, size_t max_decompressed) {
  LoadedKernel k;
  if (IsElf(file)) {
    k.container = KernelContainer::kElf;
    k.elf = file;
  } else if (LooksLikeBzImage(file)) {
    k.container = KernelContainer::kBzImage;
    BzImage bz = TRY(ParseBzImage(file));
    TRY(Unpack(bz.payload, max_decompressed, k));
  } else if (Compression c = DetectCompression(file);
             c != Compression::kUnknown && c != Compression::kNone) {
    k.container = KernelContainer::kCompressedElf;
    TRY(Unpack(file, max_decompressed, k));
  } else {
    return Error::Invalid(kOp,
                          "not a kernel: neither an ELF, a bzImage nor a compressed "
                          "stream");
  }
  auto image = ParseElf64(k.elf);
  if (!image.has_value()) {
    if (k.container == KernelContainer::kElf) return std::move(image.error());
    // Say where the bytes came from: a payload that is not an ELF is a common mistake.
    return std::move(image.error()).With(fmt::format("{} payload", CompressionName(k.compression)));
  }
  k.image = std::move(*image);
  k.info = TRY(ReadPvKernelInfo(k.elf, k.image));
  return k;
}

Status CopySegments(ByteSpan elf, const ElfImage& image, std::span<std::byte> dst) {
  if (image.phys_end < image.phys_start || image.phys_end - image.phys_start > dst.size()) {
    return Error::Invalid(kOp, fmt::format("destination of {:#x} bytes is smaller than the "
                                           "kernel [{:#x}, {:#x})",
                                           dst.size(), image.phys_start, image.phys_end));
  }
  const uint64_t span = image.phys_end - image.phys_start;
  // Validate everything before writing anything.
  for (const ElfSegment& s : image.loads) {
    auto file_end = CheckedAdd(s.offset, s.filesz);
    auto mem_end = CheckedAdd(s.paddr, s.memsz);
    if (!file_end || *file_end > elf.size() || s.filesz > s.memsz || !mem_end ||
        s.paddr < image.phys_start || *mem_end > image.phys_end) {
      return Error::Invalid(kOp, fmt::format("segment at paddr {:#x} is inconsistent with the "
                                             "image",
                                             s.paddr));
    }
  }
  // Zero first only where no segment lands, then copy: every byte is written once or twice.
  std::vector<std::pair<uint64_t, uint64_t>> covered;  // [start, end) relative to phys_start
  for (const ElfSegment& s : image.loads) {
    covered.emplace_back(s.paddr - image.phys_start, s.paddr - image.phys_start + s.memsz);
  }
  std::sort(covered.begin(), covered.end());
  uint64_t at = 0;
  for (auto [start, end] : covered) {
    if (start > at) std::memset(dst.data() + at, 0, start - at);
    at = std::max(at, end);
  }
  if (span > at) std::memset(dst.data() + at, 0, span - at);
  for (const ElfSegment& s : image.loads) {
    std::byte* to = dst.data() + (s.paddr - image.phys_start);
    if (s.filesz > 0) std::memcpy(to, elf.data() + s.offset, s.filesz);
    if (s.memsz > s.filesz) std::memset(to + s.filesz, 0, s.memsz - s.filesz);
  }
  return {};
}

Status CopySegments(const LoadedKernel& kernel, std::span<std::byte> dst) {
  return CopySegments(kernel.elf, kernel.image, dst);
}

}  // namespace krata::xen::boot
