#include "xen/boot/elf.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/checked.h"

namespace krata::xen::boot {
namespace {

constexpr std::string_view kOp = "elf";

// ELF64 header field offsets (gABI, Elf64_Ehdr).
constexpr size_t kEiClass = 4, kEiData = 5, kEiVersion = 6;
constexpr size_t kEType = 0x10, kEMachine = 0x12, kEEntry = 0x18, kEPhoff = 0x20;
constexpr size_t kEPhentsize = 0x36, kEPhnum = 0x38;
constexpr uint8_t kElfClass64 = 2, kElfData2Lsb = 1, kEvCurrent = 1;
constexpr uint16_t kPnXnum = 0xffff;  // real count in section 0: never valid for a kernel
// Elf64_Phdr field offsets.
constexpr size_t kPType = 0, kPFlags = 4, kPOffset = 8, kPVaddr = 0x10, kPPaddr = 0x18;
constexpr size_t kPFilesz = 0x20, kPMemsz = 0x28, kPAlign = 0x30;
// Elf64_Nhdr: namesz, descsz, type (u32 each).
constexpr size_t kNoteHeaderSize = 12;

Error Bad(std::string message) { return Error::Invalid(kOp, std::move(message)); }

ElfSegment LoadPhdr(ByteSpan ph) {
  // The caller checked that ph is kElf64PhdrSize bytes, so every load succeeds.
  ElfSegment s;
  s.type = *LoadLe<uint32_t>(ph, kPType);
  s.flags = *LoadLe<uint32_t>(ph, kPFlags);
  s.offset = *LoadLe<uint64_t>(ph, kPOffset);
  s.vaddr = *LoadLe<uint64_t>(ph, kPVaddr);
  s.paddr = *LoadLe<uint64_t>(ph, kPPaddr);
  s.filesz = *LoadLe<uint64_t>(ph, kPFilesz);
  s.memsz = *LoadLe<uint64_t>(ph, kPMemsz);
  s.align = *LoadLe<uint64_t>(ph, kPAlign);
  return s;
}

// The segment's file bytes lie inside the file.
Status CheckFileRange(const ElfSegment& s, size_t index, size_t file_size) {
  auto end = CheckedAdd(s.offset, s.filesz);
  if (!end || *end > file_size) {
    return Bad(
        fmt::format("program header {}: bytes [{:#x}, +{:#x}) lie outside the {}-byte "
                    "file",
                    index, s.offset, s.filesz, file_size));
  }
  return {};
}

Status CheckLoad(const ElfSegment& s, size_t index, size_t file_size) {
  TRY(CheckFileRange(s, index, file_size));
  if (s.filesz > s.memsz) {
    return Bad(
        fmt::format("PT_LOAD {}: p_filesz {:#x} exceeds p_memsz {:#x}", index, s.filesz, s.memsz));
  }
  if (!CheckedAdd(s.paddr, s.memsz) || !CheckedAdd(s.vaddr, s.memsz)) {
    return Bad(fmt::format("PT_LOAD {}: address + p_memsz {:#x} overflows", index, s.memsz));
  }
  return {};
}

size_t Align4(size_t n) { return (n + 3) & ~size_t{3}; }  // n is at most 2^32 here

}  // namespace

Result<ElfImage> ParseElf64(ByteSpan file) {
  if (!IsElf(file)) return Bad("no ELF magic");
  if (file.size() < kElf64HeaderSize) return Bad("file too short for an ELF64 header");
  auto ident = [&](size_t i) { return *LoadLe<uint8_t>(file, i); };
  if (ident(kEiClass) != kElfClass64) return Bad("not ELFCLASS64 (a 32-bit kernel?)");
  if (ident(kEiData) != kElfData2Lsb) return Bad("not little-endian (ELFDATA2LSB)");
  if (ident(kEiVersion) != kEvCurrent) return Bad("unknown ELF version");
  uint16_t type = *LoadLe<uint16_t>(file, kEType);
  uint16_t machine = *LoadLe<uint16_t>(file, kEMachine);
  if (machine != kEmX86_64) return Bad(fmt::format("e_machine {} is not x86_64 (62)", machine));
  if (type != kEtExec) return Bad(fmt::format("e_type {} is not ET_EXEC (2)", type));

  ElfImage img;
  img.entry = *LoadLe<uint64_t>(file, kEEntry);
  uint64_t phoff = *LoadLe<uint64_t>(file, kEPhoff);
  uint16_t phentsize = *LoadLe<uint16_t>(file, kEPhentsize);
  uint16_t phnum = *LoadLe<uint16_t>(file, kEPhnum);
  if (phnum == 0) return Bad("no program headers");
  if (phnum == kPnXnum) return Bad("e_phnum is PN_XNUM (extended numbering), not a kernel");
  if (phentsize != kElf64PhdrSize) {
    return Bad(fmt::format("e_phentsize {} is not {}", phentsize, kElf64PhdrSize));
  }
  // phnum < 2^16 and phentsize == 56: the product cannot overflow.
  auto ph_end = CheckedAdd<uint64_t>(phoff, uint64_t{phnum} * kElf64PhdrSize);
  if (!ph_end || *ph_end > file.size()) {
    return Bad(fmt::format("program headers [{:#x}, +{} x {}) lie outside the {}-byte file", phoff,
                           phnum, kElf64PhdrSize, file.size()));
  }

  for (size_t i = 0; i < phnum; ++i) {
    ElfSegment s = LoadPhdr(file.subspan(phoff + i * kElf64PhdrSize, kElf64PhdrSize));
    if (s.type == kPtLoad) {
      if ((s.flags & (kPfR | kPfW | kPfX)) == 0) continue;  // not loadable, as in libelf
      TRY(CheckLoad(s, i, file.size()));
      img.loads.push_back(s);
    } else if (s.type == kPtNote) {
      // Some binutils leave p_offset 0 on note segments (libelf skips them the same way).
      if (s.offset == 0) continue;
      TRY(CheckFileRange(s, i, file.size()));
      img.notes.push_back(s);
    }
  }
  if (img.loads.empty()) return Bad("no loadable PT_LOAD segment");
  img.phys_start = UINT64_MAX;
  for (const ElfSegment& s : img.loads) {
    img.phys_start = std::min(img.phys_start, s.paddr);
    img.phys_end = std::max(img.phys_end, s.paddr + s.memsz);  // checked in CheckLoad
  }
  return img;
}

Status ParseNotes(ByteSpan file, const ElfSegment& segment, std::vector<ElfNote>& out) {
  // ParseElf64 checked the range; re-check so callers may pass any segment.
  auto seg_end = CheckedAdd(segment.offset, segment.filesz);
  if (!seg_end || *seg_end > file.size()) return Bad("note segment lies outside the file");
  ByteSpan area = file.subspan(segment.offset, segment.filesz);
  size_t pos = 0;
  while (pos < area.size()) {
    size_t at = segment.offset + pos;
    if (area.size() - pos < kNoteHeaderSize) {
      return Bad(fmt::format("note at {:#x}: truncated header", at));
    }
    if (out.size() >= kMaxElfNotes) {
      return Bad(fmt::format("more than {} ELF notes", kMaxElfNotes));
    }
    uint32_t namesz = *LoadLe<uint32_t>(area, pos);
    uint32_t descsz = *LoadLe<uint32_t>(area, pos + 4);
    uint32_t type = *LoadLe<uint32_t>(area, pos + 8);
    size_t rest = area.size() - pos - kNoteHeaderSize;
    // Sizes are u32, so the padded sums fit easily in 64-bit size_t.
    size_t name_pad = Align4(namesz);
    if (name_pad > rest || descsz > rest - name_pad) {
      return Bad(fmt::format("note at {:#x}: namesz {} + descsz {} exceed the segment", at, namesz,
                             descsz));
    }
    ByteSpan name = area.subspan(pos + kNoteHeaderSize, namesz);
    ElfNote note;
    // namesz counts the NUL terminator; tolerate its absence.
    std::string_view name_chars = AsChars(name);
    note.name = name_chars.substr(0, name_chars.find('\0'));
    note.type = type;
    note.desc = area.subspan(pos + kNoteHeaderSize + name_pad, descsz);
    note.offset = at;
    out.push_back(note);
    // The last note's desc padding may be cut off by the segment end.
    pos += kNoteHeaderSize + name_pad + std::min(Align4(descsz), rest - name_pad);
  }
  return {};
}

}  // namespace krata::xen::boot
