// Fuzzes ELF64 parsing, PT_NOTE note framing, Xen note decoding and the PV-capability check.
// Invariants: every segment and note returned lies inside the input; note names are within
// the note; a kernel that passes CheckPvKernel has a consistent layout with entry inside
// the kernel and only builder-provided required features; CopySegments reproduces exactly
// the file bytes and zero fill (boot_fuzz_checks.h).

#include <cstdint>

#include "boot_fuzz_checks.h"
#include "xen/boot/elf.h"
#include "xen/boot/kernel.h"
#include "xen/boot/pv_kernel.h"
#include "xen/boot/xen_notes.h"

using namespace krata::xen::boot;
using krata::ByteSpan;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(reinterpret_cast<const std::byte*>(data), size);
  auto img = ParseElf64(in);
  if (!img.has_value()) return 0;
  fuzz::CheckImage(in, *img);
  fuzz::CheckCopy(in, *img);

  std::vector<ElfNote> notes;
  for (const ElfSegment& seg : img->notes) {
    size_t before = notes.size();
    if (!ParseNotes(in, seg, notes).has_value()) continue;
    BOOT_FUZZ_CHECK(notes.size() <= kMaxElfNotes);
    for (size_t i = before; i < notes.size(); ++i) {
      const ElfNote& n = notes[i];
      ByteSpan seg_bytes = in.subspan(seg.offset, seg.filesz);
      BOOT_FUZZ_CHECK(fuzz::Inside(n.desc, seg_bytes));
      BOOT_FUZZ_CHECK(fuzz::Inside(krata::AsBytes(n.name), seg_bytes));
      BOOT_FUZZ_CHECK(n.name.find('\0') == std::string_view::npos);
      BOOT_FUZZ_CHECK(n.offset >= seg.offset && n.offset < seg.offset + seg.filesz);
    }
  }

  auto xen = ParseXenNotes(in, *img);
  if (!xen.has_value()) return 0;
  BOOT_FUZZ_CHECK(xen->count <= kMaxElfNotes);
  auto info = CheckPvKernel(*xen, *img);
  if (info.has_value()) {
    fuzz::CheckInfo(*img, *info);
    BOOT_FUZZ_CHECK(xen->count > 0 && xen->entry == info->entry);
    // The top-level entry accepts the same bytes as a raw ELF, without copying.
    auto k = LoadKernel(in);
    BOOT_FUZZ_CHECK(k.has_value());
    BOOT_FUZZ_CHECK(k->elf.data() == in.data() && k->info.virt_kend == info->virt_kend);
  }
  return 0;
}
