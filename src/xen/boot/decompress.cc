#include "xen/boot/decompress.h"

#include <bzlib.h>
#include <fmt/format.h>
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <memory>
#include <span>

namespace krata::xen::boot {
namespace {

constexpr std::string_view kOp = "decompress";

// Growable output that refuses to hold more than max + 1 bytes: producing the (max+1)th
// byte proves the stream is too large without decoding the rest of a bomb.
class Output {
 public:
  Output(size_t max, size_t hint) : max_(max), limit_(max == SIZE_MAX ? max : max + 1) {
    buf_.resize(std::clamp<size_t>(hint, 1, limit_));
  }

  // Free space after the written bytes; empty once the limit is reached.
  std::span<std::byte> Space() {
    if (used_ == buf_.size()) {
      if (buf_.size() >= limit_) return {};
      size_t grow = std::max<size_t>(buf_.size(), 64 << 10);  // doubling, at least 64 KiB
      buf_.resize(grow >= limit_ - buf_.size() ? limit_ : buf_.size() + grow);
    }
    return std::span(buf_).subspan(used_);
  }

  // At least n free bytes, even past the limit (lz4 needs a whole chunk of room); the caller
  // checks Exceeded() after committing.
  std::span<std::byte> SpaceAtLeast(size_t n) {
    if (buf_.size() - used_ < n) buf_.resize(used_ + n);
    return std::span(buf_).subspan(used_);
  }

  void Commit(size_t n) { used_ += n; }
  bool Exceeded() const { return used_ > max_; }
  size_t used() const { return used_; }

  Result<std::vector<std::byte>> Finish(std::string_view format) && {
    if (Exceeded()) return TooLarge(format);
    buf_.resize(used_);
    buf_.shrink_to_fit();
    return std::move(buf_);
  }

  Error TooLarge(std::string_view format) const {
    return Error::Invalid(kOp, fmt::format("{}: output exceeds the {}-byte limit "
                                           "(decompression bomb or wrong limit)",
                                           format, max_));
  }

 private:
  size_t max_;
  size_t limit_;
  size_t used_ = 0;
  std::vector<std::byte> buf_;
};

// Initial output size: Linux's size trailer when plausible, else 4x the input. The trailer
// is untrusted, so it never makes us allocate more than 32x the input up front; past that
// the output grows as the decoder actually produces bytes.
size_t SizeHint(ByteSpan data) {
  size_t cap = data.size() > SIZE_MAX / 32 ? SIZE_MAX : data.size() * 32;
  if (auto trailer = LoadLe<uint32_t>(data, data.size() >= 4 ? data.size() - 4 : 0);
      trailer && *trailer >= data.size()) {
    return std::min<size_t>(*trailer, cap);
  }
  return data.size() > SIZE_MAX / 4 ? SIZE_MAX : data.size() * 4;
}

Error Corrupt(std::string_view format, std::string_view why) {
  return Error::Invalid(kOp, fmt::format("{}: {}", format, why));
}

Error Truncated(std::string_view format) {
  return Corrupt(format, "stream is truncated (input ended before the end of the stream)");
}

// zlib and bzip2 take 32-bit lengths; large inputs are fed in slices.
constexpr size_t kSlice = 1u << 30;

Result<std::vector<std::byte>> Gunzip(ByteSpan in, Output out) {
  constexpr std::string_view kName = "gzip";
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Corrupt(kName, "inflateInit2 failed");
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&zs, &inflateEnd);
  size_t pos = 0;
  for (;;) {
    if (zs.avail_in == 0 && pos < in.size()) {
      size_t n = std::min(in.size() - pos, kSlice);
      // zlib's API is not const-correct; it never writes through next_in.
      zs.next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(in.data() + pos));
      zs.avail_in = static_cast<uInt>(n);
      pos += n;
    }
    std::span<std::byte> space = out.Space();
    if (space.empty()) return out.TooLarge(kName);
    size_t offered = std::min(space.size(), kSlice);
    zs.next_out = reinterpret_cast<Bytef*>(space.data());
    zs.avail_out = static_cast<uInt>(offered);
    int ret = inflate(&zs, Z_NO_FLUSH);
    out.Commit(offered - zs.avail_out);
    if (ret == Z_STREAM_END) break;
    if (ret == Z_BUF_ERROR && zs.avail_in == 0 && pos == in.size()) return Truncated(kName);
    if (ret != Z_OK && ret != Z_BUF_ERROR) {
      return Corrupt(kName, zs.msg != nullptr ? zs.msg : "inflate failed");
    }
  }
  return std::move(out).Finish(kName);
}

std::string_view LzmaError(lzma_ret ret) {
  switch (ret) {
    case LZMA_MEM_ERROR:
      return "out of memory";
    case LZMA_MEMLIMIT_ERROR:
      return "needs more decoder memory than the limit (dictionary too large)";
    case LZMA_FORMAT_ERROR:
      return "not in the expected format";
    case LZMA_OPTIONS_ERROR:
      return "unsupported options in the header";
    case LZMA_DATA_ERROR:
      return "corrupt data";
    case LZMA_BUF_ERROR:
      return "stream is truncated (input ended before the end of the stream)";
    default:
      return "decoder error";
  }
}

// xz (lzma_stream_decoder, one stream: the size trailer after it is left unread) and
// legacy .lzma (lzma_alone_decoder).
Result<std::vector<std::byte>> Unlzma(ByteSpan in, Output out, bool xz) {
  std::string_view name = xz ? "xz" : "lzma";
  lzma_stream s = LZMA_STREAM_INIT;
  lzma_ret ret =
      xz ? lzma_stream_decoder(&s, kLzmaMemLimit, 0) : lzma_alone_decoder(&s, kLzmaMemLimit);
  if (ret != LZMA_OK) return Corrupt(name, LzmaError(ret));
  std::unique_ptr<lzma_stream, decltype(&lzma_end)> guard(&s, &lzma_end);
  s.next_in = reinterpret_cast<const uint8_t*>(in.data());
  s.avail_in = in.size();
  for (;;) {
    std::span<std::byte> space = out.Space();
    if (space.empty()) return out.TooLarge(name);
    s.next_out = reinterpret_cast<uint8_t*>(space.data());
    s.avail_out = space.size();
    ret = lzma_code(&s, LZMA_FINISH);
    out.Commit(space.size() - s.avail_out);
    if (ret == LZMA_STREAM_END) break;
    if (ret != LZMA_OK) return Corrupt(name, LzmaError(ret));
  }
  return std::move(out).Finish(name);
}

Result<std::vector<std::byte>> Unzstd(ByteSpan in, Output out) {
  constexpr std::string_view kName = "zstd";
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  if (!dctx) return Corrupt(kName, "ZSTD_createDCtx failed");
  size_t r = ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, kZstdWindowLogMax);
  if (ZSTD_isError(r)) return Corrupt(kName, ZSTD_getErrorName(r));
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  for (;;) {
    std::span<std::byte> space = out.Space();
    if (space.empty()) return out.TooLarge(kName);
    ZSTD_outBuffer dst{space.data(), space.size(), 0};
    r = ZSTD_decompressStream(dctx.get(), &dst, &src);
    if (ZSTD_isError(r)) return Corrupt(kName, ZSTD_getErrorName(r));
    out.Commit(dst.pos);
    if (r == 0) break;  // frame fully decoded and flushed; the rest is trailer
    // Room left over and no input left: the decoder cannot make progress.
    if (src.pos == src.size && dst.pos < dst.size) return Truncated(kName);
  }
  return std::move(out).Finish(kName);
}

// Linux's lz4 "legacy" format (lz4 -l): magic, then chunks of a u32-LE compressed size and
// an LZ4 block of at most 8 MiB once decompressed. The magic may repeat between chunks
// (concatenated files). After at least one chunk, bytes that cannot be a chunk are taken to
// be the size trailer, as the Linux decompressor effectively does.
Result<std::vector<std::byte>> Unlz4Legacy(ByteSpan in, Output out) {
  constexpr std::string_view kName = "lz4";
  if (LoadLe<uint32_t>(in, 0) != kLz4LegacyMagic) return Corrupt(kName, "no legacy magic");
  const size_t max_chunk = static_cast<size_t>(LZ4_compressBound(kLz4LegacyChunk));
  size_t pos = 4;
  size_t chunks = 0;
  while (in.size() - pos >= 4) {
    uint32_t csize = *LoadLe<uint32_t>(in, pos);
    if (csize == kLz4LegacyMagic) {
      pos += 4;
      continue;
    }
    if (csize == 0 || csize > max_chunk || csize > in.size() - pos - 4) {
      if (chunks > 0) break;  // trailer
      return Corrupt(kName, fmt::format("bad first chunk size {:#x}", csize));
    }
    std::span<std::byte> space = out.SpaceAtLeast(kLz4LegacyChunk);
    int n = LZ4_decompress_safe(reinterpret_cast<const char*>(in.data() + pos + 4),
                                reinterpret_cast<char*>(space.data()), static_cast<int>(csize),
                                static_cast<int>(kLz4LegacyChunk));
    if (n < 0) return Corrupt(kName, fmt::format("corrupt block at offset {:#x}", pos));
    out.Commit(static_cast<size_t>(n));
    if (out.Exceeded()) return out.TooLarge(kName);
    pos += 4 + csize;
    ++chunks;
  }
  if (chunks == 0) return Truncated(kName);
  return std::move(out).Finish(kName);
}

Result<std::vector<std::byte>> Bunzip2(ByteSpan in, Output out) {
  constexpr std::string_view kName = "bzip2";
  bz_stream s{};
  if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK) return Corrupt(kName, "init failed");
  std::unique_ptr<bz_stream, decltype(&BZ2_bzDecompressEnd)> guard(&s, &BZ2_bzDecompressEnd);
  size_t pos = 0;
  for (;;) {
    if (s.avail_in == 0 && pos < in.size()) {
      size_t n = std::min(in.size() - pos, kSlice);
      // libbz2 is not const-correct; it never writes through next_in.
      s.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data() + pos));
      s.avail_in = static_cast<unsigned>(n);
      pos += n;
    }
    std::span<std::byte> space = out.Space();
    if (space.empty()) return out.TooLarge(kName);
    size_t offered = std::min(space.size(), kSlice);
    s.next_out = reinterpret_cast<char*>(space.data());
    s.avail_out = static_cast<unsigned>(offered);
    int ret = BZ2_bzDecompress(&s);
    out.Commit(offered - s.avail_out);
    if (ret == BZ_STREAM_END) break;
    if (ret != BZ_OK) return Corrupt(kName, fmt::format("corrupt data (libbz2 error {})", ret));
    if (s.avail_in == 0 && pos == in.size() && s.avail_out > 0) return Truncated(kName);
  }
  return std::move(out).Finish(kName);
}

bool StartsWith(ByteSpan data, std::initializer_list<uint8_t> magic) {
  if (data.size() < magic.size()) return false;
  size_t i = 0;
  for (uint8_t b : magic) {
    if (std::to_integer<uint8_t>(data[i++]) != b) return false;
  }
  return true;
}

}  // namespace

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kXz:
      return "xz";
    case Compression::kLzma:
      return "lzma";
    case Compression::kZstd:
      return "zstd";
    case Compression::kLz4:
      return "lz4";
    case Compression::kBzip2:
      return "bzip2";
    case Compression::kLzo:
      return "lzo";
    case Compression::kUnknown:
      break;
  }
  return "unknown";
}

Compression DetectCompression(ByteSpan data) {
  if (StartsWith(data, {0x7f, 'E', 'L', 'F'})) return Compression::kNone;
  if (StartsWith(data, {0x1f, 0x8b})) return Compression::kGzip;
  if (StartsWith(data, {0xfd, '7', 'z', 'X', 'Z', 0x00})) return Compression::kXz;
  if (StartsWith(data, {0x28, 0xb5, 0x2f, 0xfd})) return Compression::kZstd;
  if (StartsWith(data, {0x02, 0x21, 0x4c, 0x18})) return Compression::kLz4;
  if (StartsWith(data, {'B', 'Z', 'h'}) && data.size() > 3 &&
      std::to_integer<uint8_t>(data[3]) >= '1' && std::to_integer<uint8_t>(data[3]) <= '9') {
    return Compression::kBzip2;
  }
  if (StartsWith(data, {0x89, 'L', 'Z', 'O'})) return Compression::kLzo;
  // .lzma has no real magic: properties byte 0x5d (lc=3 lp=0 pb=2), then a little-endian
  // dictionary size whose low byte is 0 for the sizes Linux uses (lib/decompress.c).
  if (StartsWith(data, {0x5d, 0x00})) return Compression::kLzma;
  return Compression::kUnknown;
}

Result<std::vector<std::byte>> Decompress(ByteSpan data, size_t max_output) {
  return Decompress(DetectCompression(data), data, max_output);
}

Result<std::vector<std::byte>> Decompress(Compression format, ByteSpan data, size_t max_output) {
  switch (format) {
    case Compression::kLzo:
      return Error::Invalid(kOp,
                            "lzo-compressed kernels are not supported "
                            "(rebuild with CONFIG_KERNEL_XZ, _GZIP, _ZSTD, ...)");
    case Compression::kNone:
      return Error::Invalid(kOp, "data is not compressed");
    case Compression::kUnknown:
      return Error::Invalid(kOp,
                            "unknown compression format (no gzip, xz, lzma, zstd, lz4 "
                            "or bzip2 magic)");
    default:
      break;
  }
  // Only now, with a known format, allocate the first piece of output.
  Output out(max_output, SizeHint(data));
  switch (format) {
    case Compression::kGzip:
      return Gunzip(data, std::move(out));
    case Compression::kXz:
      return Unlzma(data, std::move(out), /*xz=*/true);
    case Compression::kLzma:
      return Unlzma(data, std::move(out), /*xz=*/false);
    case Compression::kZstd:
      return Unzstd(data, std::move(out));
    case Compression::kLz4:
      return Unlz4Legacy(data, std::move(out));
    case Compression::kBzip2:
      return Bunzip2(data, std::move(out));
    default:
      break;
  }
  return Error::Invalid(kOp, "unreachable compression format");
}

}  // namespace krata::xen::boot
