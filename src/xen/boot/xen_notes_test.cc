#include "xen/boot/xen_notes.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "xen/boot/pv_kernel.h"
#include "xen/boot/testing.h"
#include "xen/boot/xen_features.h"

namespace krata::xen::boot {
namespace {

using testing::Bytes;
using testing::ElfBuilder;
using testing::LinuxPvNotes;
using testing::NumNote;
using testing::StrNote;
using testing::TestNote;

constexpr uint64_t kVirtBase = 0xffffffff80000000;

// A kernel at phys 16 MiB .. 16 MiB + 64 KiB with the given notes.
Bytes KernelWith(const std::vector<TestNote>& notes) {
  return ElfBuilder()
      .Add({.paddr = 0x1000000,
            .vaddr = kVirtBase + 0x1000000,
            .data = Bytes(0x100),
            .memsz = 0x10000})
      .Notes(notes)
      .Build();
}

Result<PvKernelInfo> Check(const std::vector<TestNote>& notes) {
  Bytes f = KernelWith(notes);
  ElfImage img = MUST(ParseElf64(f));
  return ReadPvKernelInfo(f, img);
}

// LinuxPvNotes with one note type replaced (or dropped when replacement is empty).
std::vector<TestNote> Replace(uint32_t type, std::optional<TestNote> with) {
  std::vector<TestNote> notes = LinuxPvNotes(0x1000000);
  std::erase_if(notes, [&](const TestNote& n) { return n.type == type; });
  if (with) notes.push_back(*with);
  return notes;
}

std::string ErrorOf(const Result<PvKernelInfo>& r) {
  return r.has_value() ? "(no error)" : r.error().ToString();
}

TEST(XenFeatures, ParsesLinuxString) {
  auto f = ParseFeatures("!writable_page_tables|pae_pgdir_above_4gb");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->required, FeatureBit(kXenFeatWritablePageTables));
  EXPECT_EQ(f->supported,
            FeatureBit(kXenFeatWritablePageTables) | FeatureBit(kXenFeatPaePgdirAbove4gb));
  EXPECT_TRUE(CheckRequiredFeatures(f->required).has_value());
}

TEST(XenFeatures, UnknownOptionalIgnoredUnknownRequiredRefused) {
  auto f = ParseFeatures("frobnicate|dom0||");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->supported, FeatureBit(kXenFeatDom0));
  EXPECT_EQ(f->required, 0u);
  auto bad = ParseFeatures("pae_pgdir_above_4gb|!frobnicate");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("frobnicate"), std::string::npos);
  EXPECT_FALSE(ParseFeatures("!").has_value());
}

TEST(XenFeatures, RequiredButNotProvidedIsNamed) {
  auto f = ParseFeatures("!auto_translated_physmap|!writable_page_tables");
  ASSERT_TRUE(f.has_value());
  auto r = CheckRequiredFeatures(f->required);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("auto_translated_physmap"), std::string::npos);
  EXPECT_EQ(XenFeatureFromName("dom0"), kXenFeatDom0);
  EXPECT_EQ(XenFeatureName(kXenFeatPaePgdirAbove4gb), "pae_pgdir_above_4gb");
}

TEST(XenNotes, ParsesLinuxNotes) {
  Bytes f = KernelWith(LinuxPvNotes(0x1000000));
  ElfImage img = MUST(ParseElf64(f));
  auto n = ParseXenNotes(f, img);
  ASSERT_TRUE(n.has_value()) << n.error().ToString();
  EXPECT_EQ(n->count, 15u);
  EXPECT_EQ(n->virt_base, kVirtBase);
  EXPECT_EQ(n->init_p2m, 0x8000000000u);
  EXPECT_EQ(n->mod_start_pfn, 1u);
  EXPECT_EQ(n->supported_features, 0x8801u);
  EXPECT_EQ(n->features, "!writable_page_tables|pae_pgdir_above_4gb");  // no NUL in the note
  EXPECT_EQ(n->guest_os, "linux");
  EXPECT_FALSE(n->hypercall_page.has_value());
}

TEST(XenNotes, NumericSizesAndOtherOwners) {
  std::vector<TestNote> notes = {NumNote(kXenNoteVirtBase, 0x12, 1),
                                 NumNote(kXenNoteEntry, 0x1234, 2),
                                 NumNote(kXenNoteInitP2m, 0x12345678, 4)};
  TestNote linux_note = NumNote(kXenNoteHypercallPage, 7, 4);
  linux_note.name = "Linux";  // same type number, other owner: ignored
  notes.push_back(linux_note);
  Bytes f = KernelWith(notes);
  ElfImage img = MUST(ParseElf64(f));
  auto n = ParseXenNotes(f, img);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->count, 3u);
  EXPECT_EQ(n->virt_base, 0x12u);
  EXPECT_EQ(n->entry, 0x1234u);
  EXPECT_EQ(n->init_p2m, 0x12345678u);
  EXPECT_FALSE(n->hypercall_page.has_value());

  Bytes bad = KernelWith({NumNote(kXenNoteEntry, 1, 3)});
  ElfImage bad_img = MUST(ParseElf64(bad));
  EXPECT_FALSE(ParseXenNotes(bad, bad_img).has_value());
}

TEST(PvKernel, AcceptsLinuxLayout) {
  auto info = Check(LinuxPvNotes(0x1000000));
  ASSERT_TRUE(info.has_value()) << ErrorOf(info);
  EXPECT_EQ(info->entry, kVirtBase + 0x1000000);
  EXPECT_EQ(info->phys_start, 0x1000000u);
  EXPECT_EQ(info->phys_end, 0x1010000u);
  EXPECT_EQ(info->virt_offset, kVirtBase);
  EXPECT_EQ(info->virt_kstart, 0xffffffff81000000u);
  EXPECT_EQ(info->virt_kend, 0xffffffff81010000u);
  EXPECT_EQ(info->features_required, FeatureBit(kXenFeatWritablePageTables));
  // FEATURES string bits plus SUPPORTED_FEATURES 0x8801.
  EXPECT_EQ(info->features_supported, 0x8801u | 0x11u);
  EXPECT_TRUE(info->unmapped_initrd());
  EXPECT_EQ(info->loader, "generic");
  EXPECT_EQ(info->pae_mode, "yes");
}

TEST(PvKernel, RefusesKernelWithoutXenNotes) {
  auto r = Check({});
  EXPECT_EQ(ErrorOf(r),
            "pv kernel: kernel has no Xen ELF notes: not a Xen PV-capable kernel "
            "(needs CONFIG_XEN_PV)");
  // Notes of other owners only.
  TestNote gnu = StrNote(3, "build-id");
  gnu.name = "GNU";
  EXPECT_NE(ErrorOf(Check({gnu})).find("no Xen ELF notes"), std::string::npos);
}

TEST(PvKernel, RefusesMissingRequiredNotes) {
  EXPECT_NE(ErrorOf(Check(Replace(kXenNoteEntry, std::nullopt))).find("ENTRY"), std::string::npos);
  EXPECT_NE(ErrorOf(Check(Replace(kXenNoteVirtBase, std::nullopt))).find("VIRT_BASE"),
            std::string::npos);
  // PVH-only kernel: PHYS32_ENTRY but no ENTRY.
  EXPECT_NE(ErrorOf(Check({NumNote(kXenNotePhys32Entry, 0x1000000, 4)})).find("PVH"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Check(Replace(kXenNoteXenVersion, StrNote(kXenNoteXenVersion, "xen-2.0"))))
                .find("XEN_VERSION"),
            std::string::npos);
  std::vector<TestNote> foreign = Replace(kXenNoteLoader, StrNote(kXenNoteLoader, "netbsd"));
  std::erase_if(foreign, [](const TestNote& n) { return n.type == kXenNoteGuestOs; });
  EXPECT_NE(ErrorOf(Check(foreign)).find("generic"), std::string::npos);
}

TEST(PvKernel, RefusesRequiredFeaturesTheBuilderLacks) {
  auto r =
      Check(Replace(kXenNoteFeatures,
                    StrNote(kXenNoteFeatures, "!writable_page_tables|!auto_translated_physmap")));
  EXPECT_NE(ErrorOf(r).find("'auto_translated_physmap'"), std::string::npos) << ErrorOf(r);
  auto r2 = Check(Replace(kXenNoteFeatures, StrNote(kXenNoteFeatures, "!no_such_feature")));
  EXPECT_NE(ErrorOf(r2).find("no_such_feature"), std::string::npos) << ErrorOf(r2);
  // Optional (unprefixed) features the builder lacks are fine.
  EXPECT_TRUE(
      Check(Replace(kXenNoteFeatures, StrNote(kXenNoteFeatures, "dom0|hvm_pirqs"))).has_value());
  EXPECT_NE(ErrorOf(Check(Replace(kXenNoteBsdSymtab, StrNote(kXenNoteBsdSymtab, "yes"))))
                .find("BSD_SYMTAB"),
            std::string::npos);
}

TEST(PvKernel, RefusesInconsistentAddresses) {
  // ENTRY outside the kernel.
  EXPECT_NE(ErrorOf(Check(Replace(kXenNoteEntry, NumNote(kXenNoteEntry, kVirtBase)))).find("ENTRY"),
            std::string::npos);
  // INIT_P2M inside the kernel.
  EXPECT_NE(
      ErrorOf(Check(Replace(kXenNoteInitP2m, NumNote(kXenNoteInitP2m, kVirtBase + 0x1000000))))
          .find("INIT_P2M"),
      std::string::npos);
  // HYPERCALL_PAGE outside, then inside.
  EXPECT_NE(ErrorOf(Check(Replace(kXenNoteHypercallPage, NumNote(kXenNoteHypercallPage, 0x1000))))
                .find("HYPERCALL_PAGE"),
            std::string::npos);
  auto ok =
      Check(Replace(kXenNoteHypercallPage, NumNote(kXenNoteHypercallPage, kVirtBase + 0x1001000)));
  ASSERT_TRUE(ok.has_value()) << ErrorOf(ok);
  EXPECT_EQ(ok->hypercall_page, kVirtBase + 0x1001000);
  // PADDR_OFFSET above VIRT_BASE.
  EXPECT_NE(ErrorOf(Check(Replace(kXenNotePaddrOffset, NumNote(kXenNotePaddrOffset, ~0ull))))
                .find("PADDR_OFFSET"),
            std::string::npos);
  // virt_kend overflows: VIRT_BASE so high that phys_end + offset wraps.
  std::vector<TestNote> wrap = Replace(kXenNoteVirtBase, NumNote(kXenNoteVirtBase, ~0ull - 0x100));
  EXPECT_FALSE(Check(wrap).has_value());
}

TEST(PvKernel, RefusesHugeOrEmptyKernels) {
  Bytes huge = ElfBuilder()
                   .Add({.paddr = 0x1000000, .data = Bytes(16)})
                   .Add({.paddr = 0x1000000 + kMaxKernelSpan, .data = Bytes(16)})
                   .Notes(LinuxPvNotes(0x1000000))
                   .Build();
  ElfImage img = MUST(ParseElf64(huge));
  EXPECT_NE(ErrorOf(ReadPvKernelInfo(huge, img)).find("limit"), std::string::npos);

  Bytes empty = ElfBuilder()
                    .Add({.paddr = 0x1000000, .data = {}, .memsz = 0})
                    .Notes(LinuxPvNotes(0x1000000))
                    .Build();
  ElfImage img2 = MUST(ParseElf64(empty));
  EXPECT_NE(ErrorOf(ReadPvKernelInfo(empty, img2)).find("empty"), std::string::npos);
}

}  // namespace
}  // namespace krata::xen::boot
