#include "xen/launch/kernel_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "xen/boot/testing.h"

namespace krata::xen::launch {
namespace {

namespace fs = std::filesystem;
namespace bt = boot::testing;

class KernelCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("krata-kcache-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const bt::Bytes& b) {
    std::string p = dir_ / name;
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
    return p;
  }
  size_t CacheEntries() {
    if (!fs::exists(dir_ / "cache")) return 0;
    return std::distance(fs::directory_iterator(dir_ / "cache"), fs::directory_iterator());
  }
  fs::path dir_;
};

TEST_F(KernelCacheTest, CompressedKernelIsDecompressedOnceThenServedFromCache) {
  bt::Bytes elf = bt::SmallPvKernel();
  bt::Bytes bz = bt::MakeBzImage(bt::WithSizeTrailer(bt::Compress(boot::Compression::kGzip, elf),
                                                     elf.size()));
  std::string path = Write("vmlinuz", bz);
  std::string cache = dir_ / "cache";
  KernelFile first;
  ASSERT_TRUE(LoadKernelFile(path, cache, first).has_value());
  EXPECT_FALSE(first.from_cache);
  EXPECT_EQ(first.kernel.container, boot::KernelContainer::kBzImage);
  EXPECT_EQ(CacheEntries(), 1u);
  KernelFile second;
  ASSERT_TRUE(LoadKernelFile(path, cache, second).has_value());
  EXPECT_TRUE(second.from_cache);
  EXPECT_EQ(second.kernel.info.entry, first.kernel.info.entry);
  EXPECT_EQ(second.kernel.info.virt_kend, first.kernel.info.virt_kend);
}

TEST_F(KernelCacheTest, CorruptEntryIsReplacedAndPlainElfIsNotCached) {
  bt::Bytes elf = bt::SmallPvKernel();
  bt::Bytes bz = bt::MakeBzImage(bt::WithSizeTrailer(bt::Compress(boot::Compression::kXz, elf),
                                                     elf.size()));
  std::string path = Write("vmlinuz", bz);
  std::string cache = dir_ / "cache";
  KernelFile k;
  ASSERT_TRUE(LoadKernelFile(path, cache, k).has_value());
  for (const auto& e : fs::directory_iterator(cache)) {
    std::ofstream(e.path(), std::ios::trunc) << "garbage";
  }
  KernelFile again;
  ASSERT_TRUE(LoadKernelFile(path, cache, again).has_value());
  EXPECT_FALSE(again.from_cache);
  KernelFile third;
  ASSERT_TRUE(LoadKernelFile(path, cache, third).has_value());
  EXPECT_TRUE(third.from_cache);

  fs::remove_all(cache);
  KernelFile plain;
  ASSERT_TRUE(LoadKernelFile(Write("vmlinux", elf), cache, plain).has_value());
  EXPECT_EQ(CacheEntries(), 0u);  // nothing to gain from caching an ELF
}

TEST_F(KernelCacheTest, NotAKernelIsAnErrorNamingTheFile) {
  std::string path = Write("junk", bt::ToBytes("definitely not a kernel"));
  KernelFile k;
  Status s = LoadKernelFile(path, dir_ / "cache", k);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().ToString().find("junk"), std::string::npos);
  EXPECT_EQ(CacheEntries(), 0u);
}

}  // namespace
}  // namespace krata::xen::launch
