#include "net/tcp/byte_ring.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "base/unique_handle.h"

namespace krata::net::tcp {
namespace {

std::string Str(ByteSpan s) { return std::string(AsChars(s)); }

TEST(ByteRing, WrapsAndViewsAcrossTheEnd) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  ByteRing ring(8);
  std::byte scratch[8];
  ASSERT_EQ(write(b.get(), "abcdef", 6), 6);
  EXPECT_EQ(ring.ReadFrom(a.get()), 6);
  EXPECT_EQ(Str(ring.View(0, 6, scratch)), "abcdef");
  ring.Consume(4);
  ASSERT_EQ(write(b.get(), "ghijklmn", 8), 8);
  EXPECT_EQ(ring.ReadFrom(a.get()), 6);  // only the free space
  EXPECT_EQ(ring.free(), 0u);
  EXPECT_EQ(Str(ring.View(0, 8, scratch)), "efghijkl");
  EXPECT_EQ(Str(ring.View(3, 4, scratch)), "hijk");
  ring.Consume(8);
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_EQ(ring.ReadFrom(a.get()), 2);
  EXPECT_EQ(Str(ring.View(0, 2, scratch)), "mn");
  b.reset();
  EXPECT_EQ(ring.ReadFrom(a.get()), 0);
}

}  // namespace
}  // namespace krata::net::tcp
