#pragma once
// Test-only builders: synthetic ELF64 kernels with Xen notes, and compressors producing the
// payload formats Linux's build emits (scripts/Makefile.lib: gzip, xz --check=crc32, lzma,
// zstd, lz4 -l, bzip2, each followed by size_append). Not linked into production code.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "xen/boot/decompress.h"

namespace krata::xen::boot::testing {

using Bytes = std::vector<std::byte>;

Bytes ToBytes(std::string_view s);

struct TestSegment {
  uint64_t paddr = 0;
  uint64_t vaddr = 0;
  Bytes data;          // p_filesz bytes
  uint64_t memsz = 0;  // 0: same as data.size()
  uint32_t flags = 5;  // PF_R | PF_X
};

struct TestNote {
  std::string name = "Xen";
  uint32_t type = 0;
  Bytes desc;
};

TestNote NumNote(uint32_t type, uint64_t value, size_t size = 8);
TestNote StrNote(uint32_t type, std::string_view value, bool nul = true);

// The Xen notes of Debian's 6.1 kernel (xen-lab.md 8.1), entry at virt_base + entry_phys.
std::vector<TestNote> LinuxPvNotes(uint64_t entry_phys = 0x1000000);

class ElfBuilder {
 public:
  ElfBuilder& Add(TestSegment s);
  ElfBuilder& Note(TestNote n);
  ElfBuilder& Notes(const std::vector<TestNote>& ns);
  ElfBuilder& Machine(uint16_t m) {
    machine_ = m;
    return *this;
  }
  ElfBuilder& Type(uint16_t t) {
    type_ = t;
    return *this;
  }
  // Header, program headers (PT_LOADs then one PT_NOTE if any notes), note area, then
  // segment data, each 16-byte aligned.
  Bytes Build() const;

 private:
  std::vector<TestSegment> segs_;
  std::vector<TestNote> notes_;
  uint16_t machine_ = 62;
  uint16_t type_ = 2;
};

// A small PV kernel: two segments at phys 16 MiB (text, entry inside) and 16 MiB + 8 KiB
// (data + bss), Linux notes.
Bytes SmallPvKernel();

// Compresses like Linux's build does for `format` (without the size trailer).
Bytes Compress(Compression format, const Bytes& data);
// Linux size_append: 4 little-endian bytes of the uncompressed size.
Bytes WithSizeTrailer(Bytes compressed, size_t uncompressed_size);

// A bzImage: setup_sects sectors of setup after the boot sector, header fields set, the
// payload placed payload_gap bytes into the protected-mode code.
Bytes MakeBzImage(const Bytes& payload, uint8_t setup_sects = 4, uint16_t version = 0x020f,
                  size_t payload_gap = 0x100);

}  // namespace krata::xen::boot::testing
