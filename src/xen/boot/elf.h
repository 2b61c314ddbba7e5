#pragma once
// ELF64 parsing for an x86_64 vmlinux (System V gABI, "ELF Header" and "Program Header").
// Pure parser, no I/O, never overlays structs on the input: every field is loaded by offset
// and every offset/size checked against the file. Notes come from PT_NOTE segments, not
// section headers (stripped or hostile kernels can lie in or omit section headers; Xen's
// libelf also prefers PT_NOTE).

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace krata::xen::boot {

inline constexpr uint16_t kEtExec = 2;
inline constexpr uint16_t kEmX86_64 = 62;
inline constexpr uint32_t kPtLoad = 1;
inline constexpr uint32_t kPtNote = 4;
inline constexpr uint32_t kPfX = 1, kPfW = 2, kPfR = 4;
inline constexpr size_t kElf64HeaderSize = 64;
inline constexpr size_t kElf64PhdrSize = 56;
// Notes read from one file; bounds the work a hostile file can cause (Xen's libelf caps
// the count too, ELF_MAX_TOTAL_NOTE_COUNT).
inline constexpr size_t kMaxElfNotes = 1024;

struct ElfSegment {
  uint32_t type = 0;
  uint32_t flags = 0;
  uint64_t offset = 0;  // in the file; offset + filesz <= file size
  uint64_t vaddr = 0;
  uint64_t paddr = 0;
  uint64_t filesz = 0;  // <= memsz
  uint64_t memsz = 0;   // paddr + memsz and vaddr + memsz do not overflow
  uint64_t align = 0;
};

struct ElfImage {
  uint64_t entry = 0;  // e_entry (Xen PV kernels use the ENTRY note instead)
  // Loadable PT_LOAD segments (any of R/W/X set, as Xen's libelf counts them), file order.
  std::vector<ElfSegment> loads;
  std::vector<ElfSegment> notes;  // PT_NOTE segments with a non-zero p_offset
  // [phys_start, phys_end): min p_paddr to max p_paddr + p_memsz over `loads`.
  uint64_t phys_start = 0;
  uint64_t phys_end = 0;
};

struct ElfNote {
  std::string_view name;  // without the terminating NUL
  uint32_t type = 0;
  ByteSpan desc;      // a subspan of the file
  size_t offset = 0;  // file offset of the note header, for error messages
};

inline bool IsElf(ByteSpan file) {
  return file.size() >= 4 && AsChars(file.first(4)) ==
                                 "\x7f"
                                 "ELF";
}

// Parses an ELF64 little-endian x86_64 ET_EXEC image. Errors name the offending field and
// offset: wrong class/data/machine/type, program headers outside the file, a PT_LOAD whose
// bytes lie outside the file or whose filesz exceeds memsz, address overflow, or no
// loadable segment at all.
Result<ElfImage> ParseElf64(ByteSpan file);

// The notes in one PT_NOTE segment of `file` (4-byte aligned name and desc, as the gABI
// requires for ELF64 notes in practice). Appends to `out`; errors on a note that does not
// fit in the segment or when the total would exceed kMaxElfNotes.
Status ParseNotes(ByteSpan file, const ElfSegment& segment, std::vector<ElfNote>& out);

}  // namespace krata::xen::boot
