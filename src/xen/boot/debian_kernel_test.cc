// Loads the real Debian kernel installed on the development machine (linux-image-amd64:
// an xz-compressed bzImage) and checks the values xen-lab.md 8.1 records from libxc's
// domain builder log for Debian's 6.1 kernel.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "base/file.h"
#include "xen/boot/bzimage.h"
#include "xen/boot/kernel.h"
#include "xen/boot/xen_features.h"

namespace krata::xen::boot {
namespace {

std::string FindDebianKernel() {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/boot", ec)) {
    std::string name = e.path().filename();
    if (name.starts_with("vmlinuz-") && name.ends_with("-amd64")) return e.path();
  }
  return {};
}

TEST(DebianKernel, LoadsAsPvKernel) {
  std::string path = FindDebianKernel();
  if (path.empty()) GTEST_SKIP() << "no /boot/vmlinuz-*-amd64 on this machine";
  auto file = ReadFile(path, 256 << 20);
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  ByteSpan bytes = AsBytes(*file);

  auto bz = ParseBzImage(bytes);
  ASSERT_TRUE(bz.has_value()) << bz.error().ToString();
  EXPECT_GE(bz->version, 0x020f);
  EXPECT_EQ(DetectCompression(bz->payload), Compression::kXz);

  auto k = LoadKernel(bytes);
  ASSERT_TRUE(k.has_value()) << k.error().ToString();
  EXPECT_EQ(k->container, KernelContainer::kBzImage);
  EXPECT_EQ(k->compression, Compression::kXz);
  // The size trailer Linux appends equals the decompressed size.
  uint32_t trailer = *LoadLe<uint32_t>(bz->payload, bz->payload.size() - 4);
  EXPECT_EQ(k->elf.size(), trailer);

  const PvKernelInfo& info = k->info;
  EXPECT_EQ(info.virt_base, 0xffffffff80000000u);
  EXPECT_EQ(info.paddr_offset, 0u);
  EXPECT_EQ(info.init_p2m, 0x8000000000u);
  EXPECT_EQ(info.mod_start_pfn, 1u);
  EXPECT_EQ(info.hv_start_low, 0xffff800000000000u);
  EXPECT_EQ(info.guest_os, "linux");
  EXPECT_EQ(info.xen_version, "xen-3.0");
  EXPECT_EQ(info.loader, "generic");
  EXPECT_EQ(info.pae_mode, "yes");
  EXPECT_EQ(info.features, "!writable_page_tables|pae_pgdir_above_4gb");
  EXPECT_EQ(info.features_required, FeatureBit(kXenFeatWritablePageTables));
  EXPECT_TRUE(info.phys32_entry.has_value());
  // Layout invariants (exact ends vary between kernel builds).
  EXPECT_EQ(info.phys_start, 0x1000000u);
  EXPECT_EQ(info.virt_kstart, 0xffffffff81000000u);
  EXPECT_GT(info.virt_kend, info.virt_kstart);
  EXPECT_EQ(info.virt_kend - info.virt_kstart, info.phys_end - info.phys_start);
  EXPECT_EQ(info.phys_end % 0x1000, 0u);
  EXPECT_GE(info.entry, info.virt_kstart);
  EXPECT_LT(info.entry, info.virt_kend);
  for (const ElfSegment& s : k->image.loads) {
    EXPECT_GE(s.paddr, info.phys_start);
    EXPECT_LE(s.paddr + s.memsz, info.phys_end);
    EXPECT_LE(s.offset + s.filesz, k->elf.size());
  }
  // The image the builder would write: each segment's bytes at paddr - phys_start.
  std::vector<std::byte> dst(info.kernel_size());
  ASSERT_TRUE(CopySegments(*k, dst).has_value());
  for (const ElfSegment& s : k->image.loads) {
    size_t n = std::min<size_t>(s.filesz, 4096);
    EXPECT_EQ(0,
              std::memcmp(dst.data() + (s.paddr - info.phys_start), k->elf.data() + s.offset, n));
  }
}

}  // namespace
}  // namespace krata::xen::boot
