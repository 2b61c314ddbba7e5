#include "zone/user.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace krata::zone {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "# a comment\n"
    "\n"
    "+nis\n"
    "broken:x:notanumber:1:::\n"
    "short:x:7\n"
    "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
    "app:x:1000:1000::/home/app:/bin/sh\r\n"
    "nohome:x:1001:1001\n";

constexpr std::string_view kGroup =
    "root:x:0:\n"
    "daemon:x:1:\n"
    "www-data:x:33:\n"
    "app:x:1000:\n"
    "audio:x:29:app,www-data\n"
    "video:x:44:other,app\n"
    "staff:x:50\n"
    "bad:x:-1:app\n";

Credentials Resolve(std::string_view spec) {
  return ResolveUser(spec, ParsePasswd(kPasswd), ParseGroup(kGroup)).value();
}

TEST(Passwd, ParsesValidLinesAndSkipsBrokenOnes) {
  std::vector<PasswdEntry> p = ParsePasswd(kPasswd);
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0].name, "root");
  EXPECT_EQ(p[3].name, "app");
  EXPECT_EQ(p[3].uid, 1000u);
  EXPECT_EQ(p[3].home, "/home/app");  // CR stripped from the line end
  EXPECT_EQ(p[4].name, "nohome");
  EXPECT_EQ(p[4].home, "");
}

TEST(Passwd, SkipsOverlongLinesAndStopsAtTheLineLimit) {
  std::string text = std::string(kMaxLineBytes + 1, 'a') + ":x:5:5::/h:/s\nok:x:6:6::/h:/s\n";
  std::vector<PasswdEntry> p = ParsePasswd(text);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].name, "ok");

  std::string many;
  for (size_t i = 0; i < kMaxDbLines + 10; ++i) many += "u:x:1:1::/:/\n";
  EXPECT_EQ(ParsePasswd(many).size(), kMaxDbLines);
}

TEST(Group, ParsesMembers) {
  std::vector<GroupEntry> g = ParseGroup(kGroup);
  ASSERT_EQ(g.size(), 7u);  // "bad" has a negative gid
  EXPECT_THAT(g[4].members, ElementsAre("app", "www-data"));
  EXPECT_TRUE(g[6].members.empty());  // "staff" without a member field
}

TEST(ParseId, RejectsNonNumbersAndTheNoChangeId) {
  EXPECT_EQ(ParseId("0").value(), 0u);
  EXPECT_EQ(ParseId("4294967294").value(), 4294967294u);
  EXPECT_FALSE(ParseId("4294967295").has_value());
  EXPECT_FALSE(ParseId("99999999999").has_value());
  EXPECT_FALSE(ParseId("").has_value());
  EXPECT_FALSE(ParseId("-1").has_value());
  EXPECT_FALSE(ParseId("1a").has_value());
}

TEST(ResolveUser, EmptyIsRootWithItsHome) {
  Credentials c = Resolve("");
  EXPECT_EQ(c.uid, 0u);
  EXPECT_EQ(c.gid, 0u);
  EXPECT_EQ(c.home, "/root");
  EXPECT_THAT(c.groups, ElementsAre(0u));
}

TEST(ResolveUser, NameGivesUidGidHomeAndSupplementaryGroups) {
  Credentials c = Resolve("app");
  EXPECT_EQ(c.uid, 1000u);
  EXPECT_EQ(c.gid, 1000u);
  EXPECT_EQ(c.home, "/home/app");
  EXPECT_THAT(c.groups, ElementsAre(1000u, 29u, 44u));
}

TEST(ResolveUser, NumericUidFindsTheEntry) {
  Credentials c = Resolve("33");
  EXPECT_EQ(c.name, "www-data");
  EXPECT_EQ(c.gid, 33u);
  EXPECT_THAT(c.groups, ElementsAre(33u, 29u));
}

TEST(ResolveUser, NumericUidWithoutEntryIsAllowed) {
  Credentials c = Resolve("4242");
  EXPECT_EQ(c.uid, 4242u);
  EXPECT_EQ(c.gid, 0u);
  EXPECT_EQ(c.home, "/");
  EXPECT_THAT(c.groups, ElementsAre(0u));
  Credentials d = Resolve("4242:77");
  EXPECT_EQ(d.gid, 77u);
  EXPECT_THAT(d.groups, ElementsAre(77u));
}

TEST(ResolveUser, GroupByNameOrNumber) {
  EXPECT_EQ(Resolve("app:audio").gid, 29u);
  EXPECT_EQ(Resolve("app:5").gid, 5u);
  EXPECT_EQ(Resolve("1000:video").gid, 44u);
  EXPECT_EQ(Resolve("0:0").uid, 0u);
}

TEST(ResolveUser, UnknownNamesAreClearErrors) {
  auto p = ParsePasswd(kPasswd);
  auto g = ParseGroup(kGroup);
  Result<Credentials> u = ResolveUser("nobody", p, g);
  ASSERT_FALSE(u.has_value());
  EXPECT_THAT(u.error().ToString(), HasSubstr("unknown user \"nobody\""));
  Result<Credentials> gr = ResolveUser("app:wheel", p, g);
  ASSERT_FALSE(gr.has_value());
  EXPECT_THAT(gr.error().ToString(), HasSubstr("unknown group \"wheel\""));
  EXPECT_FALSE(ResolveUser(":audio", p, g).has_value());
  EXPECT_FALSE(ResolveUser("app:", p, g).has_value());
  EXPECT_FALSE(ResolveUser("4294967295", p, g).has_value());
  EXPECT_FALSE(ResolveUser("app:4294967295", p, g).has_value());
}

TEST(ResolveUser, WorksWithoutAnyFiles) {
  Result<Credentials> c = ResolveUser("", {}, {});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->home, "/");
  EXPECT_FALSE(ResolveUser("app", {}, {}).has_value());
}

TEST(ResolveUser, CapsSupplementaryGroups) {
  std::string group;
  for (int i = 0; i < 200; ++i)
    group += "g" + std::to_string(i) + ":x:" + std::to_string(i + 100) + ":app\n";
  Result<Credentials> c = ResolveUser("app", ParsePasswd(kPasswd), ParseGroup(group));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->groups.size(), kMaxSupplementaryGroups);
}

}  // namespace
}  // namespace krata::zone
