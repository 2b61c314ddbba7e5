#include "net/nat/echo_reply.h"

#include <gtest/gtest.h>

#include <vector>

#include "net/packet/testing.h"

namespace krata::net {
namespace {

using testing::Span;

std::vector<uint8_t> Reply(uint8_t type, uint16_t id, uint16_t seq, std::string_view data) {
  std::vector<uint8_t> m{type,
                         0,
                         0xab,
                         0xcd,
                         static_cast<uint8_t>(id >> 8),
                         static_cast<uint8_t>(id),
                         static_cast<uint8_t>(seq >> 8),
                         static_cast<uint8_t>(seq)};
  m.insert(m.end(), data.begin(), data.end());
  return m;
}

TEST(EchoReplyTest, ParsesPingSocketReplies) {
  std::vector<uint8_t> v4 = Reply(0, 0x1234, 0x0506, "data");
  std::optional<EchoReply> r = ParseEchoReply(Span(v4), false, false);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id, 0x1234);
  EXPECT_EQ(r->seq, 0x0506);
  EXPECT_EQ(AsChars(r->data), "data");

  std::vector<uint8_t> v6 = Reply(129, 7, 8, "");
  r = ParseEchoReply(Span(v6), true, false);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->seq, 8);
  EXPECT_TRUE(r->data.empty());
  // A request, or the other family's reply type, is not a reply.
  EXPECT_FALSE(ParseEchoReply(Span(Reply(128, 7, 8, "")), true, false).has_value());
  EXPECT_FALSE(ParseEchoReply(Span(Reply(0, 7, 8, "")), true, false).has_value());
  EXPECT_FALSE(ParseEchoReply(Span(Reply(8, 7, 8, "")), false, false).has_value());
}

TEST(EchoReplyTest, SkipsTheRawIpv4Header) {
  std::vector<uint8_t> pkt{0x46, 0, 0, 0, 0,   0, 0, 0, 64, 1, 0, 0,  // IHL 6: 4 option bytes
                           127,  0, 0, 1, 127, 0, 0, 1, 1,  1, 1, 1};
  std::vector<uint8_t> icmp = Reply(0, 42, 43, "xyz");
  pkt.insert(pkt.end(), icmp.begin(), icmp.end());
  std::optional<EchoReply> r = ParseEchoReply(Span(pkt), false, true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id, 42);
  EXPECT_EQ(AsChars(r->data), "xyz");

  std::vector<uint8_t> udp = pkt;
  udp[9] = 17;
  EXPECT_FALSE(ParseEchoReply(Span(udp), false, true).has_value());
  std::vector<uint8_t> bad_ihl = pkt;
  bad_ihl[0] = 0x4f;  // 60-byte header, longer than the packet
  EXPECT_FALSE(ParseEchoReply(Span(bad_ihl), false, true).has_value());
}

TEST(EchoReplyTest, RejectsTruncated) {
  std::vector<uint8_t> m = Reply(0, 1, 2, "");
  for (size_t n = 0; n < m.size(); ++n) {
    EXPECT_FALSE(ParseEchoReply(Span(m).first(n), false, false).has_value()) << n;
  }
  EXPECT_FALSE(ParseEchoReply(Span(m).first(0), false, true).has_value());
}

TEST(EchoReplyTest, WritesRequestsWithIpv4Checksum) {
  std::vector<uint8_t> out(64);
  size_t n = WriteEchoRequest(out, false, 0xbeef, 3, AsBytes("odd"));
  ASSERT_EQ(n, 11u);
  out.resize(n);
  EXPECT_EQ(out[0], 8);
  EXPECT_EQ(out[4], 0xbe);
  EXPECT_EQ(out[7], 3);
  EXPECT_EQ(testing::OnesSum(out), 0xffff);  // RFC 1071: the sum over a checked message

  std::vector<uint8_t> v6(64);
  ASSERT_EQ(WriteEchoRequest(v6, true, 1, 2, AsBytes("abcd")), 12u);
  EXPECT_EQ(v6[0], 128);
  EXPECT_EQ(v6[2], 0);  // left to the kernel
  std::vector<uint8_t> small(10);
  EXPECT_EQ(WriteEchoRequest(small, false, 1, 2, AsBytes("abc")), 0u);
}

}  // namespace
}  // namespace krata::net
