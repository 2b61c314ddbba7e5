#include "xen/boot/elf.h"

#include <gtest/gtest.h>

#include <cstring>

#include "xen/boot/testing.h"

namespace krata::xen::boot {
namespace {

using testing::Bytes;
using testing::ElfBuilder;
using testing::TestSegment;

template <typename T>
void Poke(Bytes& b, size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof v);
}

constexpr size_t kPh0 = 64;  // first program header

Bytes TwoSegments() {
  TestSegment a{.paddr = 0x200000, .vaddr = 0xffffffff80200000, .data = testing::ToBytes("text")};
  TestSegment b{.paddr = 0x100000,
                .vaddr = 0xffffffff80100000,
                .data = testing::ToBytes("data"),
                .memsz = 0x1000,
                .flags = 6};
  return ElfBuilder().Add(a).Add(b).Note({.name = "Xen", .type = 6, .desc = {}}).Build();
}

TEST(Elf, ParsesLoadsAndNotes) {
  Bytes file = TwoSegments();
  auto img = ParseElf64(file);
  ASSERT_TRUE(img.has_value()) << img.error().ToString();
  ASSERT_EQ(img->loads.size(), 2u);
  EXPECT_EQ(img->loads[0].paddr, 0x200000u);
  EXPECT_EQ(img->loads[0].filesz, 4u);
  EXPECT_EQ(img->loads[1].memsz, 0x1000u);
  EXPECT_EQ(img->phys_start, 0x100000u);
  EXPECT_EQ(img->phys_end, 0x200004u);
  EXPECT_EQ(AsChars(ByteSpan(file).subspan(img->loads[0].offset, 4)), "text");
  ASSERT_EQ(img->notes.size(), 1u);
  std::vector<ElfNote> notes;
  ASSERT_TRUE(ParseNotes(file, img->notes[0], notes).has_value());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].name, "Xen");
  EXPECT_EQ(notes[0].type, 6u);
  EXPECT_TRUE(notes[0].desc.empty());
}

TEST(Elf, RefusesWrongKindsOfElf) {
  EXPECT_FALSE(
      ParseElf64(ElfBuilder().Add({.data = {std::byte{1}}}).Machine(3).Build()).has_value());
  EXPECT_FALSE(ParseElf64(ElfBuilder().Add({.data = {std::byte{1}}}).Type(3).Build()).has_value());
  Bytes b32 = TwoSegments();
  b32[4] = std::byte{1};  // ELFCLASS32
  EXPECT_FALSE(ParseElf64(b32).has_value());
  Bytes be = TwoSegments();
  be[5] = std::byte{2};  // big-endian
  EXPECT_FALSE(ParseElf64(be).has_value());
  EXPECT_FALSE(ParseElf64(testing::ToBytes("\x7f"
                                           "ELF"))
                   .has_value());
  EXPECT_FALSE(ParseElf64(testing::ToBytes("nope")).has_value());
}

TEST(Elf, RefusesNoLoadableSegment) {
  Bytes file = ElfBuilder().Add({.data = testing::ToBytes("x"), .flags = 0}).Build();
  auto r = ParseElf64(file);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("PT_LOAD"), std::string::npos);
}

TEST(Elf, RefusesBadProgramHeaderTable) {
  Bytes f = TwoSegments();
  Bytes a = f;
  Poke<uint64_t>(a, 0x20, ~uint64_t{0} - 8);  // e_phoff overflows
  EXPECT_FALSE(ParseElf64(a).has_value());
  Bytes b = f;
  Poke<uint16_t>(b, 0x38, 0xffff);  // PN_XNUM
  EXPECT_FALSE(ParseElf64(b).has_value());
  Bytes c = f;
  Poke<uint16_t>(c, 0x38, 500);  // table past the end of the file
  EXPECT_FALSE(ParseElf64(c).has_value());
  Bytes d = f;
  Poke<uint16_t>(d, 0x36, 32);  // wrong phentsize
  EXPECT_FALSE(ParseElf64(d).has_value());
  EXPECT_FALSE(ParseElf64(ByteSpan(f).first(100)).has_value());
}

TEST(Elf, RefusesBadSegments) {
  Bytes f = TwoSegments();
  Bytes a = f;
  Poke<uint64_t>(a, kPh0 + 0x20, 0x10000000);  // filesz past the end of the file
  Poke<uint64_t>(a, kPh0 + 0x28, 0x10000000);
  EXPECT_FALSE(ParseElf64(a).has_value());
  Bytes b = f;
  Poke<uint64_t>(b, kPh0 + 0x08, ~uint64_t{0});  // offset + filesz overflows
  EXPECT_FALSE(ParseElf64(b).has_value());
  Bytes c = f;
  Poke<uint64_t>(c, kPh0 + 0x28, 2);  // memsz < filesz
  EXPECT_FALSE(ParseElf64(c).has_value());
  Bytes d = f;
  Poke<uint64_t>(d, kPh0 + 0x18, ~uint64_t{0} - 1);  // paddr + memsz overflows
  EXPECT_FALSE(ParseElf64(d).has_value());
  Bytes e = f;
  Poke<uint64_t>(e, kPh0 + 56 * 2 + 0x20, 0x100000);  // note segment past the end
  EXPECT_FALSE(ParseElf64(e).has_value());
}

TEST(Elf, RefusesMalformedNotes) {
  Bytes f = TwoSegments();
  auto img = ParseElf64(f);
  ASSERT_TRUE(img.has_value());
  size_t note_at = img->notes[0].offset;
  std::vector<ElfNote> out;
  Bytes a = f;
  Poke<uint32_t>(a, note_at + 4, 0xfffffff0);  // descsz beyond the segment
  EXPECT_FALSE(ParseNotes(a, img->notes[0], out).has_value());
  Bytes b = f;
  Poke<uint32_t>(b, note_at, 0xffffffff);  // namesz beyond the segment (and 2^32 padded)
  EXPECT_FALSE(ParseNotes(b, img->notes[0], out).has_value());
  ElfSegment short_seg = img->notes[0];
  short_seg.filesz = 8;  // shorter than a note header
  EXPECT_FALSE(ParseNotes(f, short_seg, out).has_value());
  ElfSegment outside = img->notes[0];
  outside.offset = f.size();
  outside.filesz = 12;
  EXPECT_FALSE(ParseNotes(f, outside, out).has_value());
}

TEST(Elf, CapsTheNumberOfNotes) {
  ElfBuilder b;
  b.Add({.data = testing::ToBytes("x")});
  for (size_t i = 0; i <= kMaxElfNotes; ++i) b.Note({.name = "X", .type = 1, .desc = {}});
  Bytes f = b.Build();
  auto img = ParseElf64(f);
  ASSERT_TRUE(img.has_value());
  std::vector<ElfNote> out;
  EXPECT_FALSE(ParseNotes(f, img->notes[0], out).has_value());
}

}  // namespace
}  // namespace krata::xen::boot
