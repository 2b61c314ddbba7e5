#include "xen/store/client.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "xen/store/fake_xenstored.h"

namespace krata::xen::store {
namespace {

TEST(XsClientTest, ReadWriteDirectoryRm) {
  FakeXenstored xs;
  xs.Set("/local/domain/0/name", "Domain-0");
  XsClient c(xs.TakeClientTransport());
  Result<std::string> name = c.Read("/local/domain/0/name");
  ASSERT_TRUE(name.has_value()) << name.error().ToString();
  EXPECT_EQ(*name, "Domain-0");

  ASSERT_TRUE(c.Write("/local/domain/1/data/marker", "hello").has_value());
  EXPECT_EQ(*c.Read("/local/domain/1/data/marker"), "hello");
  EXPECT_EQ(*c.Directory("/local/domain"), (std::vector<std::string>{"0", "1"}));

  ASSERT_TRUE(c.Rm("/local/domain/1").has_value());
  EXPECT_FALSE(xs.Has("/local/domain/1/data/marker"));
  Result<std::string> gone = c.Read("/local/domain/1/data/marker");
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().errno_value(), ENOENT);
  EXPECT_NE(gone.error().ToString().find("/local/domain/1/data/marker"), std::string::npos);
}

TEST(XsClientTest, MismatchedReplyIsAnError) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  // A reply for a request that was never sent arrives before the real one.
  xs.InjectRaw(*Encode({XsType::kRead, 999, 0, "bogus"}));
  Result<std::string> r = c.Read("/");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("reply for request 999"), std::string::npos);
}

}  // namespace
}  // namespace krata::xen::store
