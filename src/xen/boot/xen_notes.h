#pragma once
// Xen ELF notes (owner "Xen") of a PV kernel: types and meanings from
// xen/include/public/elfnote.h. Parsing only; CheckPvKernel (pv_kernel.h) judges them.

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "xen/boot/elf.h"

namespace krata::xen::boot {

// XEN_ELFNOTE_* (xen/include/public/elfnote.h).
enum XenNoteType : uint32_t {
  kXenNoteEntry = 1,
  kXenNoteHypercallPage = 2,
  kXenNoteVirtBase = 3,
  kXenNotePaddrOffset = 4,
  kXenNoteXenVersion = 5,
  kXenNoteGuestOs = 6,
  kXenNoteGuestVersion = 7,
  kXenNoteLoader = 8,
  kXenNotePaeMode = 9,
  kXenNoteFeatures = 10,
  kXenNoteBsdSymtab = 11,
  kXenNoteHvStartLow = 12,
  kXenNoteL1MfnValid = 13,
  kXenNoteSuspendCancel = 14,
  kXenNoteInitP2m = 15,
  kXenNoteModStartPfn = 16,
  kXenNoteSupportedFeatures = 17,
  kXenNotePhys32Entry = 18,
};

// Raw values of the notes present; a later note of the same type replaces an earlier one
// (as in libelf). Unknown types and L1_MFN_VALID (unused by a 64-bit builder) are skipped.
struct XenNotes {
  size_t count = 0;  // "Xen" notes seen, of any type
  std::optional<uint64_t> entry, hypercall_page, virt_base, paddr_offset, hv_start_low;
  std::optional<uint64_t> suspend_cancel, init_p2m, mod_start_pfn, phys32_entry;
  std::optional<uint32_t> supported_features;  // SUPPORTED_FEATURES bitmap, submap 0
  std::optional<std::string> xen_version, guest_os, guest_version, loader, pae_mode;
  std::optional<std::string> features, bsd_symtab;
};

// Reads every "Xen" note in the image's PT_NOTE segments. Numeric notes may be 1, 2, 4 or 8
// bytes (libelf's elf_note_numeric); strings end at the first NUL or the end of desc (Linux
// emits FEATURES without a NUL). Errors: malformed note framing, a numeric note of another
// size, more than kMaxElfNotes notes.
Result<XenNotes> ParseXenNotes(ByteSpan file, const ElfImage& image);

}  // namespace krata::xen::boot
