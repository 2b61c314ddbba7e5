#include "xen/store/wire.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

namespace krata::xen::store {
namespace {

TEST(XsWireTest, EncodeDecodeRoundTripAcrossSplitReads) {
  std::string a = *Encode({XsType::kRead, 7, 0, PathPayload("/local/domain/0/name")});
  std::string b = *Encode({XsType::kWrite, 8, 3, std::string("/x\0v", 4)});
  std::string stream = a + b;
  XsDecoder dec;
  std::vector<XsMessage> out;
  for (char c : stream) {  // one byte at a time: every split point
    dec.Feed(AsBytes(std::string_view(&c, 1)));
    Result<std::optional<XsMessage>> m = dec.Next();
    ASSERT_TRUE(m.has_value());
    if (m->has_value()) out.push_back(**m);
  }
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].type, XsType::kRead);
  EXPECT_EQ(out[0].req_id, 7u);
  EXPECT_EQ(out[0].payload, PathPayload("/local/domain/0/name"));
  EXPECT_EQ(out[1].tx_id, 3u);
  EXPECT_EQ(out[1].payload, std::string("/x\0v", 4));
  EXPECT_EQ(dec.buffered(), 0u);
}

TEST(XsWireTest, OversizedPayloadsAreRefusedBothWays) {
  EXPECT_FALSE(Encode({XsType::kWrite, 1, 0, std::string(4097, 'a')}).has_value());
  abi::XsMsgHeader h{2, 1, 0, 4097};
  std::string raw(reinterpret_cast<const char*>(&h), sizeof h);
  XsDecoder dec;
  dec.Feed(AsBytes(raw));
  EXPECT_FALSE(dec.Next().has_value());
  EXPECT_FALSE(dec.Next().has_value());  // stays failed
}

TEST(XsWireTest, SplitNulAndErrors) {
  EXPECT_EQ(SplitNul(std::string("a\0bb\0", 5)), (std::vector<std::string>{"a", "bb"}));
  EXPECT_TRUE(SplitNul("").empty());
  EXPECT_EQ(ErrnoFromXsError(std::string("ENOENT\0", 7)), ENOENT);
  EXPECT_EQ(ErrnoFromXsError("EAGAIN"), EAGAIN);
  EXPECT_EQ(ErrnoFromXsError("EWHATEVER"), EINVAL);
}

}  // namespace
}  // namespace krata::xen::store
