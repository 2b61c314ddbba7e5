#include "runtime/zone_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "base/file.h"

namespace krata::runtime {
namespace {

class ZoneFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/krata-zonefiles-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    store_ = std::string(tmpl) + "/store";
  }
  void TearDown() override {
    std::filesystem::remove_all(std::filesystem::path(store_).parent_path());
  }
  std::string store_;
};

TEST_F(ZoneFilesTest, CreatesPrivateDirAndFramedConfigThenRemoves) {
  zone::LaunchConfig cfg;
  cfg.zone_id = "0b9c2e64-7d0f-4c55-9a33-5b1d2f6a7e80";
  cfg.hostname = "web";
  Result<std::string> path = CreateZoneFiles(store_, cfg.zone_id, cfg);
  ASSERT_TRUE(path.has_value()) << path.error().ToString();
  EXPECT_EQ(*path, store_ + "/zones/" + cfg.zone_id + "/config.img");
  struct stat st;
  ASSERT_EQ(::stat(ZoneDir(store_, cfg.zone_id).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(path->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size % zone::kConfigAlign, 0);
  Result<std::string> bytes = ReadFile(*path);
  ASSERT_TRUE(bytes.has_value());
  Result<zone::LaunchConfig> back = zone::DecodeLaunchConfig(AsBytes(*bytes));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->hostname, "web");
  // Leftovers of a crash are replaced, not an error.
  ASSERT_TRUE(CreateZoneFiles(store_, cfg.zone_id, cfg).has_value());
  ASSERT_TRUE(RemoveZoneFiles(store_, cfg.zone_id).has_value());
  EXPECT_FALSE(std::filesystem::exists(ZoneDir(store_, cfg.zone_id)));
  EXPECT_TRUE(RemoveZoneFiles(store_, cfg.zone_id).has_value());  // idempotent
}

TEST(ZoneIdTest, OnlySafeCharacters) {
  EXPECT_TRUE(ValidateZoneId("0b9c2e64-7d0f-4c55-9a33-5b1d2f6a7e80").has_value());
  for (const char* bad : {"", "..", "a/b", "a b", "x\n"}) {
    EXPECT_FALSE(ValidateZoneId(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ValidateZoneId(std::string(65, 'a')).has_value());
  EXPECT_FALSE(RemoveZoneFiles("/tmp", "..").has_value());
}

TEST(LoopsRecordTest, RoundTripsAndSkipsJunk) {
  std::vector<RecordedLoop> loops{{3, "/var/lib/krata/images/a.squashfs"},
                                  {12, "/var/lib/krata/zones/z/config.img"}};
  const std::string v = FormatLoops(loops);
  EXPECT_EQ(v,
            "/dev/loop3:/var/lib/krata/images/a.squashfs:none,"
            "/dev/loop12:/var/lib/krata/zones/z/config.img:none");
  EXPECT_EQ(ParseLoops(v), loops);
  EXPECT_TRUE(ParseLoops("").empty());
  EXPECT_EQ(ParseLoops("junk,/dev/loopx:/a:none,/dev/loop1:relative:none,/dev/loop2:/ok:none"),
            (std::vector<RecordedLoop>{{2, "/ok"}}));
}

TEST(ZoneExitTest, ParsesBoundedGuestValues) {
  using S = std::optional<std::string>;
  EXPECT_FALSE(ParseZoneExit(S(), S()).has_value());
  std::optional<ZoneExit> e = ParseZoneExit(S("3"), S());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, 3);
  EXPECT_EQ(e->signal, 0);
  e = ParseZoneExit(S(" 0\n"), S());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, 0);
  e = ParseZoneExit(S(), S("9"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->signal, 9);
  EXPECT_EQ(e->code, 137);
  for (const char* bad : {"", "-1", "256", "1e3", "0x1", "99999999999999", "7 7", "abc"}) {
    EXPECT_FALSE(ParseZoneExit(S(bad), S()).has_value()) << bad;
  }
  EXPECT_FALSE(ParseZoneExit(S(), S("0")).has_value());
  EXPECT_FALSE(ParseZoneExit(S(), S("128")).has_value());
}

TEST(UuidTest, ParsesCanonicalForm) {
  std::optional<std::array<uint8_t, 16>> u = ParseUuid("12345678-9abc-DEF0-0102-030405060708");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ((*u)[0], 0x12);
  EXPECT_EQ((*u)[6], 0xde);
  EXPECT_EQ((*u)[15], 0x08);
  EXPECT_FALSE(ParseUuid("12345678-9abc-def0-0102-03040506070").has_value());
  EXPECT_FALSE(ParseUuid("12345678x9abc-def0-0102-030405060708").has_value());
  EXPECT_FALSE(ParseUuid("g2345678-9abc-def0-0102-030405060708").has_value());
}

}  // namespace
}  // namespace krata::runtime
