#include "xen/boot/xen_notes.h"

#include <fmt/format.h>

namespace krata::xen::boot {
namespace {

constexpr std::string_view kOp = "xen notes";

Result<uint64_t> Numeric(const ElfNote& note) {
  switch (note.desc.size()) {
    case 1:
      return *LoadLe<uint8_t>(note.desc, 0);
    case 2:
      return *LoadLe<uint16_t>(note.desc, 0);
    case 4:
      return *LoadLe<uint32_t>(note.desc, 0);
    case 8:
      return *LoadLe<uint64_t>(note.desc, 0);
    default:
      return Error::Invalid(kOp, fmt::format("note type {} at {:#x}: numeric note of {} bytes "
                                             "(want 1, 2, 4 or 8)",
                                             note.type, note.offset, note.desc.size()));
  }
}

std::string String(const ElfNote& note) {
  std::string_view s = AsChars(note.desc);
  return std::string(s.substr(0, s.find('\0')));
}

Status ParseOne(const ElfNote& note, XenNotes& out) {
  switch (note.type) {
    case kXenNoteEntry:
      out.entry = TRY(Numeric(note));
      break;
    case kXenNoteHypercallPage:
      out.hypercall_page = TRY(Numeric(note));
      break;
    case kXenNoteVirtBase:
      out.virt_base = TRY(Numeric(note));
      break;
    case kXenNotePaddrOffset:
      out.paddr_offset = TRY(Numeric(note));
      break;
    case kXenNoteHvStartLow:
      out.hv_start_low = TRY(Numeric(note));
      break;
    case kXenNoteSuspendCancel:
      out.suspend_cancel = TRY(Numeric(note));
      break;
    case kXenNoteInitP2m:
      out.init_p2m = TRY(Numeric(note));
      break;
    case kXenNoteModStartPfn:
      out.mod_start_pfn = TRY(Numeric(note));
      break;
    case kXenNotePhys32Entry:
      out.phys32_entry = TRY(Numeric(note));
      break;
    case kXenNoteSupportedFeatures:
      // An array of u32 submaps (libelf's elf_note_numeric_array); only submap 0 exists.
      if (note.desc.size() < 4 || note.desc.size() % 4 != 0) {
        return Error::Invalid(kOp, fmt::format("SUPPORTED_FEATURES at {:#x}: {} bytes is not a "
                                               "u32 array",
                                               note.offset, note.desc.size()));
      }
      out.supported_features = *LoadLe<uint32_t>(note.desc, 0);
      break;
    case kXenNoteXenVersion:
      out.xen_version = String(note);
      break;
    case kXenNoteGuestOs:
      out.guest_os = String(note);
      break;
    case kXenNoteGuestVersion:
      out.guest_version = String(note);
      break;
    case kXenNoteLoader:
      out.loader = String(note);
      break;
    case kXenNotePaeMode:
      out.pae_mode = String(note);
      break;
    case kXenNoteFeatures:
      out.features = String(note);
      break;
    case kXenNoteBsdSymtab:
      out.bsd_symtab = String(note);
      break;
    default:
      break;  // L1_MFN_VALID and types newer than this code
  }
  return {};
}

}  // namespace

Result<XenNotes> ParseXenNotes(ByteSpan file, const ElfImage& image) {
  std::vector<ElfNote> notes;
  for (const ElfSegment& seg : image.notes) TRY(ParseNotes(file, seg, notes));
  XenNotes out;
  for (const ElfNote& note : notes) {
    if (note.name != "Xen") continue;
    ++out.count;
    TRY(ParseOne(note, out));
  }
  return out;
}

}  // namespace krata::xen::boot
