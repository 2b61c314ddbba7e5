#include "xen/boot/bzimage.h"

#include <gtest/gtest.h>

#include <cstring>

#include "xen/boot/testing.h"

namespace krata::xen::boot {
namespace {

using testing::Bytes;
using testing::MakeBzImage;
using testing::ToBytes;

template <typename T>
void Poke(Bytes& b, size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof v);
}

TEST(BzImage, FindsPayload) {
  Bytes payload = ToBytes("compressed payload bytes");
  Bytes file = MakeBzImage(payload, 27, 0x020f, 0x2cc);
  ASSERT_TRUE(LooksLikeBzImage(file));
  auto bz = ParseBzImage(file);
  ASSERT_TRUE(bz.has_value()) << bz.error().ToString();
  EXPECT_EQ(bz->version, 0x020f);
  EXPECT_EQ(bz->setup_sects, 27u);
  EXPECT_EQ(bz->setup_size, 28u * 512);
  EXPECT_EQ(bz->payload_offset, 28u * 512 + 0x2cc);
  ASSERT_EQ(bz->payload.size(), payload.size());
  EXPECT_EQ(0, std::memcmp(bz->payload.data(), payload.data(), payload.size()));
  EXPECT_EQ(bz->payload.data(), file.data() + bz->payload_offset);
}

TEST(BzImage, ZeroSetupSectsMeansFour) {
  Bytes file = MakeBzImage(ToBytes("xyz"), 0);
  auto bz = ParseBzImage(file);
  ASSERT_TRUE(bz.has_value()) << bz.error().ToString();
  EXPECT_EQ(bz->setup_sects, 4u);
  EXPECT_EQ(bz->setup_size, 5u * 512);
  EXPECT_EQ(AsChars(bz->payload), "xyz");
}

TEST(BzImage, RefusesBadMagicAndOldProtocol) {
  Bytes good = MakeBzImage(ToBytes("p"));
  Bytes bad_flag = good;
  Poke<uint16_t>(bad_flag, kBootFlagOffset, 0x1234);
  EXPECT_FALSE(LooksLikeBzImage(bad_flag));
  EXPECT_FALSE(ParseBzImage(bad_flag).has_value());

  Bytes bad_magic = good;
  Poke<uint32_t>(bad_magic, kHeaderMagicOffset, 0x53726449);
  EXPECT_FALSE(ParseBzImage(bad_magic).has_value());

  Bytes old = MakeBzImage(ToBytes("p"), 4, 0x0207);
  auto r = ParseBzImage(old);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("2.07"), std::string::npos) << r.error().ToString();
}

TEST(BzImage, RefusesTruncatedFiles) {
  Bytes good = MakeBzImage(ToBytes("payload"));
  for (size_t n : {size_t{0}, size_t{0x1ff}, size_t{0x207}, size_t{0x24f}, size_t{0x400}}) {
    EXPECT_FALSE(ParseBzImage(ByteSpan(good).first(n)).has_value()) << n;
  }
  // Cut inside the payload.
  auto bz = ParseBzImage(good);
  ASSERT_TRUE(bz.has_value());
  EXPECT_FALSE(ParseBzImage(ByteSpan(good).first(bz->payload_offset + 3)).has_value());
}

TEST(BzImage, RefusesOverflowingPayloadFields) {
  Bytes file = MakeBzImage(ToBytes("payload"));
  Bytes a = file;
  Poke<uint32_t>(a, kPayloadOffsetOffset, 0xffffffff);
  EXPECT_FALSE(ParseBzImage(a).has_value());
  Bytes b = file;
  Poke<uint32_t>(b, kPayloadLengthOffset, 0xffffffff);
  EXPECT_FALSE(ParseBzImage(b).has_value());
  Bytes c = file;
  Poke<uint32_t>(c, kPayloadLengthOffset, 0);
  EXPECT_FALSE(ParseBzImage(c).has_value());
  Bytes d = file;
  Poke<uint8_t>(d, kSetupSectsOffset, 0xff);  // setup beyond the end of the file
  EXPECT_FALSE(ParseBzImage(d).has_value());
}

}  // namespace
}  // namespace krata::xen::boot
