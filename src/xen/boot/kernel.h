#pragma once
// Top-level kernel loading for the PV domain builder: accepts a bzImage (any supported
// payload compression), a raw ELF vmlinux, or a bare compressed vmlinux, and returns the
// ELF bytes, their PT_LOAD segments and the checked PvKernelInfo. Pure: no I/O; the caller
// reads the file and writes guest memory.

#include <cstddef>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "xen/boot/decompress.h"
#include "xen/boot/elf.h"
#include "xen/boot/pv_kernel.h"

namespace krata::xen::boot {

// Default bound on the decompressed vmlinux (Debian's 6.1 is 63 MiB).
inline constexpr size_t kDefaultMaxKernelSize = 512u << 20;

enum class KernelContainer { kElf, kBzImage, kCompressedElf };

// Move-only: `elf` points into `storage` (which a move keeps in place) or, for a raw ELF
// input, into the caller's buffer, which must then outlive this object.
struct LoadedKernel {
  LoadedKernel() = default;
  LoadedKernel(LoadedKernel&&) = default;
  LoadedKernel& operator=(LoadedKernel&&) = default;
  LoadedKernel(const LoadedKernel&) = delete;
  LoadedKernel& operator=(const LoadedKernel&) = delete;

  KernelContainer container = KernelContainer::kElf;
  Compression compression = Compression::kNone;
  std::vector<std::byte> storage;  // the decompressed vmlinux, empty if elf aliases the input
  ByteSpan elf;                    // the vmlinux ELF image
  ElfImage image;                  // segments index into `elf`
  PvKernelInfo info;
};

// Identifies the container, decompresses at most max_decompressed bytes, parses the ELF and
// runs CheckPvKernel. Errors carry the stage ("bzImage", "decompress", "elf", "pv kernel").
Result<LoadedKernel> LoadKernel(ByteSpan file, size_t max_decompressed = kDefaultMaxKernelSize);

// Writes the kernel image into dst, which stands for physical [phys_start, phys_end) of
// `image` (dst may be longer; bytes past phys_end are untouched): each PT_LOAD's file bytes,
// zeros up to p_memsz, and zeros in the gaps between segments, so all of
// dst[0, phys_end - phys_start) is written. Error if dst is too small or a segment lies
// outside `elf` (impossible for an image ParseElf64 returned from the same bytes).
Status CopySegments(ByteSpan elf, const ElfImage& image, std::span<std::byte> dst);
Status CopySegments(const LoadedKernel& kernel, std::span<std::byte> dst);

}  // namespace krata::xen::boot
