#include "xen/boot/testing.h"

#include <bzlib.h>
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdlib>
#include <cstring>

#include "xen/boot/bzimage.h"
#include "xen/boot/xen_notes.h"

namespace krata::xen::boot::testing {
namespace {

void Put(Bytes& b, size_t off, const void* p, size_t n) {
  if (b.size() < off + n) b.resize(off + n);
  std::memcpy(b.data() + off, p, n);
}
template <typename T>
void PutLe(Bytes& b, size_t off, T v) {
  Put(b, off, &v, sizeof v);
}
size_t Align(size_t n, size_t a) { return (n + a - 1) / a * a; }

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "testing: %s failed\n", what);
  std::abort();
}

}  // namespace

Bytes ToBytes(std::string_view s) {
  Bytes b(s.size());
  std::memcpy(b.data(), s.data(), s.size());
  return b;
}

TestNote NumNote(uint32_t type, uint64_t value, size_t size) {
  TestNote n;
  n.type = type;
  n.desc.resize(size);
  std::memcpy(n.desc.data(), &value, size);  // little-endian host
  return n;
}

TestNote StrNote(uint32_t type, std::string_view value, bool nul) {
  TestNote n;
  n.type = type;
  n.desc = ToBytes(value);
  if (nul) n.desc.push_back(std::byte{0});
  return n;
}

std::vector<TestNote> LinuxPvNotes(uint64_t entry_phys) {
  constexpr uint64_t kVirtBase = 0xffffffff80000000;
  return {
      StrNote(kXenNoteGuestOs, "linux"),
      StrNote(kXenNoteGuestVersion, "2.6"),
      StrNote(kXenNoteXenVersion, "xen-3.0"),
      NumNote(kXenNoteVirtBase, kVirtBase),
      NumNote(kXenNoteInitP2m, 0x8000000000),
      NumNote(kXenNoteEntry, kVirtBase + entry_phys),
      StrNote(kXenNoteFeatures, "!writable_page_tables|pae_pgdir_above_4gb", /*nul=*/false),
      NumNote(kXenNoteSupportedFeatures, 0x8801, 4),
      StrNote(kXenNotePaeMode, "yes"),
      StrNote(kXenNoteLoader, "generic"),
      NumNote(kXenNoteSuspendCancel, 1, 4),
      NumNote(kXenNoteModStartPfn, 1, 4),
      NumNote(kXenNoteHvStartLow, 0xffff800000000000),
      NumNote(kXenNotePaddrOffset, 0),
      NumNote(kXenNotePhys32Entry, entry_phys + 0x850, 8),
  };
}

ElfBuilder& ElfBuilder::Add(TestSegment s) {
  segs_.push_back(std::move(s));
  return *this;
}
ElfBuilder& ElfBuilder::Note(TestNote n) {
  notes_.push_back(std::move(n));
  return *this;
}
ElfBuilder& ElfBuilder::Notes(const std::vector<TestNote>& ns) {
  for (const auto& n : ns) notes_.push_back(n);
  return *this;
}

Bytes ElfBuilder::Build() const {
  const size_t nph = segs_.size() + (notes_.empty() ? 0 : 1);
  Bytes out(64 + 56 * nph);
  // e_ident: magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT.
  const uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
  Put(out, 0, ident, sizeof ident);
  PutLe<uint16_t>(out, 0x10, type_);
  PutLe<uint16_t>(out, 0x12, machine_);
  PutLe<uint32_t>(out, 0x14, 1);
  PutLe<uint64_t>(out, 0x20, 64);  // e_phoff
  PutLe<uint16_t>(out, 0x34, 64);
  PutLe<uint16_t>(out, 0x36, 56);
  PutLe<uint16_t>(out, 0x38, static_cast<uint16_t>(nph));

  // Note area.
  Bytes notes;
  for (const TestNote& n : notes_) {
    size_t at = notes.size();
    PutLe<uint32_t>(notes, at, static_cast<uint32_t>(n.name.size() + 1));
    PutLe<uint32_t>(notes, at + 4, static_cast<uint32_t>(n.desc.size()));
    PutLe<uint32_t>(notes, at + 8, n.type);
    Put(notes, at + 12, n.name.c_str(), n.name.size() + 1);
    size_t desc_at = at + 12 + Align(n.name.size() + 1, 4);
    notes.resize(desc_at);
    if (!n.desc.empty()) Put(notes, desc_at, n.desc.data(), n.desc.size());
    notes.resize(Align(notes.size(), 4));
  }
  size_t pos = Align(out.size(), 16);
  size_t notes_at = pos;
  if (!notes.empty()) {
    Put(out, notes_at, notes.data(), notes.size());
    pos = Align(notes_at + notes.size(), 16);
  }
  for (size_t i = 0; i < segs_.size(); ++i) {
    const TestSegment& s = segs_[i];
    size_t ph = 64 + 56 * i;
    PutLe<uint32_t>(out, ph, 1);  // PT_LOAD
    PutLe<uint32_t>(out, ph + 4, s.flags);
    PutLe<uint64_t>(out, ph + 8, pos);
    PutLe<uint64_t>(out, ph + 0x10, s.vaddr);
    PutLe<uint64_t>(out, ph + 0x18, s.paddr);
    PutLe<uint64_t>(out, ph + 0x20, s.data.size());
    PutLe<uint64_t>(out, ph + 0x28, s.memsz != 0 ? s.memsz : s.data.size());
    PutLe<uint64_t>(out, ph + 0x30, 16);
    if (!s.data.empty()) Put(out, pos, s.data.data(), s.data.size());
    pos = Align(pos + s.data.size(), 16);
  }
  if (!notes.empty()) {
    size_t ph = 64 + 56 * segs_.size();
    PutLe<uint32_t>(out, ph, 4);  // PT_NOTE
    PutLe<uint32_t>(out, ph + 4, 4);
    PutLe<uint64_t>(out, ph + 8, notes_at);
    PutLe<uint64_t>(out, ph + 0x20, notes.size());
    PutLe<uint64_t>(out, ph + 0x28, notes.size());
    PutLe<uint64_t>(out, ph + 0x30, 4);
  }
  if (out.size() < pos) out.resize(pos);  // an empty last segment still starts inside
  return out;
}

Bytes SmallPvKernel() {
  constexpr uint64_t kVirtBase = 0xffffffff80000000;
  TestSegment text;
  text.paddr = 0x1000000;
  text.vaddr = kVirtBase + text.paddr;
  for (int i = 0; i < 3000; ++i) text.data.push_back(std::byte(i * 7));
  TestSegment data;
  data.paddr = 0x1002000;
  data.vaddr = kVirtBase + data.paddr;
  data.data = ToBytes("data segment bytes");
  data.memsz = 0x3000;  // bss
  data.flags = 6;       // PF_R | PF_W
  return ElfBuilder().Add(text).Add(data).Notes(LinuxPvNotes(0x1000010)).Build();
}

Bytes Compress(Compression format, const Bytes& data) {
  Bytes out;
  switch (format) {
    case Compression::kGzip: {
      z_stream zs{};
      if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        Die("deflateInit2");
      }
      out.resize(deflateBound(&zs, data.size()));
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(data.data()));
      zs.avail_in = static_cast<uInt>(data.size());
      zs.next_out = reinterpret_cast<Bytef*>(out.data());
      zs.avail_out = static_cast<uInt>(out.size());
      if (deflate(&zs, Z_FINISH) != Z_STREAM_END) Die("deflate");
      out.resize(zs.total_out);
      deflateEnd(&zs);
      return out;
    }
    case Compression::kXz: {
      out.resize(lzma_stream_buffer_bound(data.size()));
      size_t pos = 0;
      if (lzma_easy_buffer_encode(
              6, LZMA_CHECK_CRC32, nullptr, reinterpret_cast<const uint8_t*>(data.data()),
              data.size(), reinterpret_cast<uint8_t*>(out.data()), &pos, out.size()) != LZMA_OK) {
        Die("lzma_easy_buffer_encode");
      }
      out.resize(pos);
      return out;
    }
    case Compression::kLzma: {
      lzma_options_lzma opt;
      if (lzma_lzma_preset(&opt, 6)) Die("lzma_lzma_preset");
      lzma_stream s = LZMA_STREAM_INIT;
      if (lzma_alone_encoder(&s, &opt) != LZMA_OK) Die("lzma_alone_encoder");
      out.resize(data.size() + data.size() / 2 + 4096);
      s.next_in = reinterpret_cast<const uint8_t*>(data.data());
      s.avail_in = data.size();
      s.next_out = reinterpret_cast<uint8_t*>(out.data());
      s.avail_out = out.size();
      if (lzma_code(&s, LZMA_FINISH) != LZMA_STREAM_END) Die("lzma_code");
      out.resize(s.total_out);
      lzma_end(&s);
      return out;
    }
    case Compression::kZstd: {
      out.resize(ZSTD_compressBound(data.size()));
      size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 19);
      if (ZSTD_isError(n)) Die("ZSTD_compress");
      out.resize(n);
      return out;
    }
    case Compression::kLz4: {
      uint32_t magic = kLz4LegacyMagic;
      Put(out, 0, &magic, 4);
      for (size_t pos = 0; pos < data.size(); pos += kLz4LegacyChunk) {
        size_t n = std::min(kLz4LegacyChunk, data.size() - pos);
        Bytes block(static_cast<size_t>(LZ4_compressBound(static_cast<int>(n))));
        int c = LZ4_compress_default(reinterpret_cast<const char*>(data.data() + pos),
                                     reinterpret_cast<char*>(block.data()), static_cast<int>(n),
                                     static_cast<int>(block.size()));
        if (c <= 0) Die("LZ4_compress_default");
        PutLe<uint32_t>(out, out.size(), static_cast<uint32_t>(c));
        Put(out, out.size(), block.data(), static_cast<size_t>(c));
      }
      return out;
    }
    case Compression::kBzip2: {
      unsigned n = static_cast<unsigned>(data.size() + data.size() / 100 + 600);
      out.resize(n);
      if (BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(out.data()), &n,
                                   const_cast<char*>(reinterpret_cast<const char*>(data.data())),
                                   static_cast<unsigned>(data.size()), 9, 0, 0) != BZ_OK) {
        Die("BZ2_bzBuffToBuffCompress");
      }
      out.resize(n);
      return out;
    }
    default:
      Die("Compress: unsupported format");
  }
}

Bytes WithSizeTrailer(Bytes compressed, size_t uncompressed_size) {
  PutLe<uint32_t>(compressed, compressed.size(), static_cast<uint32_t>(uncompressed_size));
  return compressed;
}

Bytes MakeBzImage(const Bytes& payload, uint8_t setup_sects, uint16_t version, size_t payload_gap) {
  size_t setup = (size_t{setup_sects == 0 ? 4u : setup_sects} + 1) * kSectorSize;
  Bytes out(setup + payload_gap);
  PutLe<uint8_t>(out, kSetupSectsOffset, setup_sects);
  PutLe<uint16_t>(out, kBootFlagOffset, kBootFlag);
  PutLe<uint32_t>(out, kHeaderMagicOffset, kHeaderMagic);
  PutLe<uint16_t>(out, kVersionOffset, version);
  PutLe<uint32_t>(out, kPayloadOffsetOffset, static_cast<uint32_t>(payload_gap));
  PutLe<uint32_t>(out, kPayloadLengthOffset, static_cast<uint32_t>(payload.size()));
  Put(out, setup + payload_gap, payload.data(), payload.size());
  // Some protected-mode code after the payload, as in a real bzImage.
  out.resize(out.size() + 64, std::byte{0xcc});
  return out;
}

}  // namespace krata::xen::boot::testing
