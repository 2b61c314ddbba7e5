#include "base/checked.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "base/bytes.h"

namespace krata {
namespace {

TEST(CheckedTest, AddMulAlign) {
  EXPECT_EQ(CheckedAdd<uint32_t>(1, 2), 3u);
  EXPECT_FALSE(CheckedAdd<uint32_t>(UINT32_MAX, 1));
  EXPECT_FALSE(CheckedMul<uint64_t>(UINT64_MAX / 2, 3));
  EXPECT_EQ(AlignUp<uint64_t>(4097, 4096), 8192u);
  EXPECT_EQ(AlignUp<uint64_t>(4096, 4096), 4096u);
  EXPECT_FALSE(AlignUp<uint64_t>(UINT64_MAX - 1, 4096));
}

TEST(BytesTest, LoadLeIsBoundsChecked) {
  std::array<std::byte, 6> b{std::byte{0x78}, std::byte{0x56}, std::byte{0x34},
                             std::byte{0x12}, std::byte{0xff}, std::byte{0xee}};
  EXPECT_EQ(LoadLe<uint32_t>(b, 0), 0x12345678u);
  EXPECT_EQ(LoadLe<uint16_t>(b, 4), 0xeeffu);
  EXPECT_FALSE(LoadLe<uint32_t>(b, 3));
  EXPECT_FALSE(LoadLe<uint16_t>(b, SIZE_MAX));
}

}  // namespace
}  // namespace krata
