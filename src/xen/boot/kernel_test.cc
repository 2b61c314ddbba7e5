#include "xen/boot/kernel.h"

#include <gtest/gtest.h>

#include <cstring>

#include "xen/boot/testing.h"

namespace krata::xen::boot {
namespace {

using testing::Bytes;
using testing::Compress;
using testing::MakeBzImage;
using testing::SmallPvKernel;
using testing::WithSizeTrailer;

constexpr Compression kAll[] = {Compression::kGzip, Compression::kXz,  Compression::kLzma,
                                Compression::kZstd, Compression::kLz4, Compression::kBzip2};

// The ELF's own bytes must come back, and the info must be that of SmallPvKernel.
void ExpectSmallKernel(const LoadedKernel& k, const Bytes& elf) {
  ASSERT_EQ(k.elf.size(), elf.size());
  EXPECT_EQ(0, std::memcmp(k.elf.data(), elf.data(), elf.size()));
  EXPECT_EQ(k.image.loads.size(), 2u);
  EXPECT_EQ(k.info.virt_kstart, 0xffffffff81000000u);
  EXPECT_EQ(k.info.virt_kend, 0xffffffff81005000u);
  EXPECT_EQ(k.info.entry, 0xffffffff81000010u);
}

TEST(LoadKernel, RawElfAliasesInput) {
  Bytes elf = SmallPvKernel();
  auto k = LoadKernel(elf);
  ASSERT_TRUE(k.has_value()) << k.error().ToString();
  EXPECT_EQ(k->container, KernelContainer::kElf);
  EXPECT_EQ(k->compression, Compression::kNone);
  EXPECT_EQ(k->elf.data(), elf.data());
  EXPECT_TRUE(k->storage.empty());
  ExpectSmallKernel(*k, elf);
}

class LoadEach : public ::testing::TestWithParam<Compression> {};

TEST_P(LoadEach, BzImageWithCompressedPayload) {
  Bytes elf = SmallPvKernel();
  Bytes file = MakeBzImage(WithSizeTrailer(Compress(GetParam(), elf), elf.size()), 27);
  auto k = LoadKernel(file);
  ASSERT_TRUE(k.has_value()) << k.error().ToString();
  EXPECT_EQ(k->container, KernelContainer::kBzImage);
  EXPECT_EQ(k->compression, GetParam());
  ExpectSmallKernel(*k, elf);
  // The span survives a move of the LoadedKernel.
  LoadedKernel moved = std::move(*k);
  ExpectSmallKernel(moved, elf);
}

TEST_P(LoadEach, BareCompressedElf) {
  Bytes elf = SmallPvKernel();
  auto k = LoadKernel(Compress(GetParam(), elf));
  ASSERT_TRUE(k.has_value()) << k.error().ToString();
  EXPECT_EQ(k->container, KernelContainer::kCompressedElf);
  ExpectSmallKernel(*k, elf);
}

TEST_P(LoadEach, BombInsideBzImageIsRefused) {
  Bytes zeros(2 << 20);
  Bytes file = MakeBzImage(WithSizeTrailer(Compress(GetParam(), zeros), zeros.size()));
  auto k = LoadKernel(file, 1 << 20);
  ASSERT_FALSE(k.has_value());
  EXPECT_NE(k.error().message().find("exceeds"), std::string::npos) << k.error().ToString();
}

INSTANTIATE_TEST_SUITE_P(All, LoadEach, ::testing::ValuesIn(kAll),
                         [](const auto& p) { return std::string(CompressionName(p.param)); });

TEST(LoadKernel, UncompressedBzImagePayload) {
  Bytes elf = SmallPvKernel();
  Bytes file = MakeBzImage(elf);
  auto k = LoadKernel(file);
  ASSERT_TRUE(k.has_value()) << k.error().ToString();
  EXPECT_EQ(k->compression, Compression::kNone);
  ExpectSmallKernel(*k, elf);
}

TEST(LoadKernel, RefusesNonKernelsAndNonPvKernels) {
  EXPECT_FALSE(LoadKernel(testing::ToBytes("hello world")).has_value());
  EXPECT_FALSE(LoadKernel({}).has_value());
  // A compressed payload that is not an ELF.
  Bytes not_elf = testing::ToBytes(std::string(1000, 'x'));
  auto r = LoadKernel(MakeBzImage(Compress(Compression::kGzip, not_elf)));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().op(), "elf");
  // An ELF without Xen notes inside a bzImage.
  Bytes plain = testing::ElfBuilder().Add({.paddr = 0x1000000, .data = Bytes(64)}).Build();
  auto r2 = LoadKernel(MakeBzImage(Compress(Compression::kXz, plain)));
  ASSERT_FALSE(r2.has_value());
  EXPECT_NE(r2.error().message().find("CONFIG_XEN_PV"), std::string::npos);
  // Truncated bzImage.
  Bytes elf = SmallPvKernel();
  Bytes file = MakeBzImage(Compress(Compression::kZstd, elf));
  EXPECT_FALSE(LoadKernel(ByteSpan(file).first(file.size() / 2)).has_value());
}

TEST(CopySegments, CopiesBytesZeroFillsBssAndGaps) {
  Bytes elf = SmallPvKernel();
  LoadedKernel k = MUST(LoadKernel(elf));
  const size_t span = k.info.kernel_size();
  ASSERT_EQ(span, 0x5000u);
  Bytes dst(span + 16, std::byte{0xee});
  ASSERT_TRUE(CopySegments(k, dst).has_value());
  const ElfSegment& text = k.image.loads[0];
  const ElfSegment& data = k.image.loads[1];
  EXPECT_EQ(0, std::memcmp(dst.data(), elf.data() + text.offset, text.filesz));
  EXPECT_EQ(0, std::memcmp(dst.data() + 0x2000, elf.data() + data.offset, data.filesz));
  for (size_t i = 0; i < span; ++i) {
    bool in_text = i < text.filesz;
    bool in_data = i >= 0x2000 && i < 0x2000 + data.filesz;
    if (!in_text && !in_data) {
      ASSERT_EQ(dst[i], std::byte{0}) << i;  // gap or bss
    }
  }
  for (size_t i = span; i < dst.size(); ++i) EXPECT_EQ(dst[i], std::byte{0xee});  // untouched
}

TEST(CopySegments, RefusesSmallDestinationAndForeignImage) {
  Bytes elf = SmallPvKernel();
  LoadedKernel k = MUST(LoadKernel(elf));
  Bytes dst(k.info.kernel_size() - 1);
  EXPECT_FALSE(CopySegments(k, dst).has_value());
  // An image whose segments do not fit the bytes given.
  Bytes big(k.info.kernel_size());
  EXPECT_FALSE(CopySegments(ByteSpan(elf).first(100), k.image, big).has_value());
}

}  // namespace
}  // namespace krata::xen::boot
