#pragma once
// Loads a kernel file, keeping the decompressed ELF of compressed kernels in a cache keyed by
// the SHA-256 of the file. Decompressing Debian's xz bzImage costs seconds (tens under TCG);
// the cached ELF loads in a fraction of that. A cache entry is only ever complete: it is written
// to a temporary file and renamed; an entry that fails to parse is ignored and rewritten.

#include <string>

#include "base/result.h"
#include "xen/boot/kernel.h"

namespace krata::xen::launch {

struct KernelFile {
  std::string bytes;  // what `kernel.elf` may point into: keep together, do not copy
  boot::LoadedKernel kernel;
  bool from_cache = false;
  KernelFile() = default;
  KernelFile(KernelFile&&) = delete;  // kernel.elf may alias bytes
  KernelFile& operator=(KernelFile&&) = delete;
};

// cache_dir empty: no cache. The cache directory is created (0700) when missing.
Status LoadKernelFile(const std::string& path, const std::string& cache_dir, KernelFile& out);

}  // namespace krata::xen::launch
