// XsClient against FakeXenstored: every operation, over the real wire protocol.

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
  EXPECT_FALSE(xs.Has("/local/domain/1"));
  EXPECT_TRUE(xs.Has("/local/domain/0/name"));
  Result<std::string> gone = c.Read("/local/domain/1/data/marker");
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().errno_value(), ENOENT);
  EXPECT_NE(gone.error().ToString().find("/local/domain/1/data/marker"), std::string::npos);
}

TEST(XsClientTest, ValuesAreBinaryAndTryReadMapsEnoent) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  std::string binary("a\0b\xff", 4);
  ASSERT_TRUE(c.Write("/v", binary).has_value());
  EXPECT_EQ(*c.Read("/v"), binary);
  EXPECT_EQ(*xs.Get("/v"), binary);
  ASSERT_TRUE(c.Write("/empty", "").has_value());
  EXPECT_EQ(*c.Read("/empty"), "");
  Result<std::optional<std::string>> missing = c.TryRead("/nope");
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
  EXPECT_EQ(**c.TryRead("/v"), binary);
}

TEST(XsClientTest, MkdirKeepsExistingValuesAndRmFollowsParentRule) {
  FakeXenstored xs;
  xs.Set("/a", "keep");
  XsClient c(xs.TakeClientTransport());
  ASSERT_TRUE(c.Mkdir("/a").has_value());
  EXPECT_EQ(*c.Read("/a"), "keep");
  ASSERT_TRUE(c.Mkdir("/a/b/c").has_value());
  EXPECT_EQ(*c.Read("/a/b"), "");
  EXPECT_EQ(*c.Directory("/a/b"), (std::vector<std::string>{"c"}));
  EXPECT_TRUE(c.Directory("/a/b/c")->empty());
  // Removing a missing node is fine when its parent exists, ENOENT otherwise.
  EXPECT_TRUE(c.Rm("/a/zz").has_value());
  Result<void> orphan = c.Rm("/x/y");
  ASSERT_FALSE(orphan.has_value());
  EXPECT_EQ(orphan.error().errno_value(), ENOENT);
  // A sibling whose name extends the removed one survives ("/a-b" sorts between "/a" and
  // "/a/").
  xs.Set("/a-b", "sibling");
  ASSERT_TRUE(c.Rm("/a").has_value());
  EXPECT_FALSE(xs.Has("/a/b/c"));
  EXPECT_EQ(*xs.Get("/a-b"), "sibling");
}

TEST(XsClientTest, InvalidPathsAreRefusedBeforeSending) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  for (std::string_view bad : {std::string_view(""), std::string_view("/a//b"),
                               std::string_view("/a/"), std::string_view("/a b"),
                               std::string_view("/a\0b", 4)}) {
    Result<std::string> r = c.Read(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().errno_value(), 0) << "refused locally, not by xenstored";
  }
  EXPECT_FALSE(c.Write(std::string(4000, 'a'), "v").has_value());
  EXPECT_FALSE(c.Watch("/ok", std::string("t\0k", 3)).has_value());
  // The connection is still healthy.
  EXPECT_TRUE(c.Write("/ok", "v").has_value());
}

TEST(XsClientTest, PermissionsRoundTrip) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  ASSERT_TRUE(c.Write("/local/domain/5/device", "").has_value());
  // New nodes inherit the root's "n0".
  EXPECT_EQ(*c.GetPerms("/local/domain/5/device"), (std::vector<Perm>{{0, Access::kNone}}));
  std::vector<Perm> perms = {{5, Access::kNone}, {0, Access::kRead}, {7, Access::kReadWrite}};
  ASSERT_TRUE(c.SetPerms("/local/domain/5", perms).has_value());
  EXPECT_EQ(*c.GetPerms("/local/domain/5"), perms);
  EXPECT_EQ(xs.GetPerms("/local/domain/5"), perms);
  // Children created later inherit the parent's list.
  ASSERT_TRUE(c.Write("/local/domain/5/name", "zone").has_value());
  EXPECT_EQ(*c.GetPerms("/local/domain/5/name"), perms);
  EXPECT_FALSE(c.SetPerms("/local/domain/5", std::vector<Perm>{}).has_value());
  Result<std::vector<Perm>> missing = c.GetPerms("/nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().errno_value(), ENOENT);
}

TEST(XsClientTest, DomainOperations) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  EXPECT_EQ(*c.GetDomainPath(7), "/local/domain/7");
  EXPECT_FALSE(*c.IsDomainIntroduced(7));
  ASSERT_TRUE(c.Introduce(7, 0x38201, 3).has_value());
  EXPECT_TRUE(*c.IsDomainIntroduced(7));
  ASSERT_TRUE(xs.Introduced(7).has_value());
  EXPECT_EQ(*xs.Introduced(7), (FakeXenstored::IntroducedDomain{0x38201, 3}));
  ASSERT_TRUE(c.Release(7).has_value());
  EXPECT_FALSE(*c.IsDomainIntroduced(7));
  Result<void> again = c.Release(7);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().errno_value(), ENOENT);
  EXPECT_NE(again.error().ToString().find("release domain 7"), std::string::npos);
  // xenstored refuses domid 0 for INTRODUCE.
  EXPECT_EQ(c.Introduce(0, 1, 1).error().errno_value(), EINVAL);
}

TEST(XsClientTest, UnknownOperationIsEnosys) {
  FakeXenstored xs;
  XsClient c(xs.TakeClientTransport());
  Result<std::string> r = c.Call(XsType::kControl, std::string("check\0", 6));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), ENOSYS);
  EXPECT_TRUE(c.Write("/still/ok", "1").has_value());
}

TEST(XsClientTest, ClientIsMovable) {
  FakeXenstored xs;
  xs.Set("/k", "v");
  XsClient a(xs.TakeClientTransport());
  XsClient b(std::move(a));
  EXPECT_EQ(*b.Read("/k"), "v");
}

}  // namespace
}  // namespace krata::xen::store
