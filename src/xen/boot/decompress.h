#pragma once
// Bounded decompression of a Linux kernel payload. Every compression Linux's x86 bzImage
// offers that Debian ships a library for: gzip (zlib), xz and lzma (liblzma), zstd, lz4
// (Linux's legacy frame format) and bzip2. LZO is detected but refused (no library linked).
//
// Linux appends the uncompressed size as 4 little-endian bytes after the stream
// (scripts/Makefile.lib, size_append), so bytes after the end of a stream are ignored.
// Output is bounded by a caller-given maximum: exceeding it is an error, never unbounded
// memory (at most max_output + 8 MiB is ever allocated, the lz4 chunk size).

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace krata::xen::boot {

enum class Compression {
  kUnknown,
  kNone,  // already an ELF image
  kGzip,
  kXz,
  kLzma,  // legacy .lzma ("lzma_alone")
  kZstd,
  kLz4,  // legacy frame, magic 0x184C2102
  kBzip2,
  kLzo,  // recognised only to name it in the error
};

std::string_view CompressionName(Compression c);

// Identifies the format by its magic bytes (Linux lib/decompress.c uses the same magics).
Compression DetectCompression(ByteSpan data);

// Decompresses one stream of the detected format. Errors name the format and the cause:
// unknown/unsupported format, corrupt or truncated data, or output larger than max_output.
Result<std::vector<std::byte>> Decompress(ByteSpan data, size_t max_output);
Result<std::vector<std::byte>> Decompress(Compression format, ByteSpan data, size_t max_output);

// Limits that keep hostile headers from making the decoders allocate without bound.
inline constexpr uint64_t kLzmaMemLimit = 256ull << 20;  // xz/lzma dictionary + state
inline constexpr int kZstdWindowLogMax = 27;             // 128 MiB, what zstd -22 --ultra uses
inline constexpr size_t kLz4LegacyChunk = 8u << 20;  // lz4 -l block size (lib/decompress_unlz4.c)
inline constexpr uint32_t kLz4LegacyMagic = 0x184c2102;

}  // namespace krata::xen::boot
