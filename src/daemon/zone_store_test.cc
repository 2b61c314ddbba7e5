#include "daemon/zone_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>

namespace krata::daemon {
namespace {

namespace common = v1::common;

class ZoneStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zone-store-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

common::Zone MakeZone(const std::string& id, const std::string& name) {
  common::Zone z;
  z.set_id(id);
  z.mutable_spec()->set_name(name);
  z.mutable_spec()->mutable_image()->mutable_oci()->set_digest("sha256:aa");
  z.mutable_status()->set_state(common::ZONE_STATE_CREATING);
  return z;
}

TEST_F(ZoneStoreTest, InsertGetUpdateDeleteSurviveReopen) {
  {
    auto store = MUST(ZoneStore::Open(dir_ + "/krata.db"));
    MUST(store->Insert(MakeZone("id-1", "web")));
    common::ZoneStatus st;
    st.set_state(common::ZONE_STATE_EXITED);
    st.mutable_exit_status()->set_code(7);
    MUST(store->UpdateStatus("id-1", st));
  }
  auto store = MUST(ZoneStore::Open(dir_ + "/krata.db"));
  std::optional<common::Zone> z = MUST(store->Get("id-1"));
  ASSERT_TRUE(z.has_value());
  EXPECT_EQ(z->spec().image().oci().digest(), "sha256:aa");
  EXPECT_EQ(z->status().state(), common::ZONE_STATE_EXITED);
  EXPECT_EQ(z->status().exit_status().code(), 7);
  EXPECT_EQ(MUST(store->FindByName("web"))->id(), "id-1");
  MUST(store->Delete("id-1"));
  EXPECT_FALSE(MUST(store->Get("id-1")).has_value());
  Status missing = store->UpdateStatus("id-1", common::ZoneStatus());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().errno_value(), ENOENT);
}

TEST_F(ZoneStoreTest, NamesAreUniqueButEmptyNamesAreNot) {
  auto store = MUST(ZoneStore::Open(dir_ + "/krata.db"));
  MUST(store->Insert(MakeZone("a", "web")));
  Status dup = store->Insert(MakeZone("b", "web"));
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().errno_value(), EEXIST);
  MUST(store->Insert(MakeZone("c", "")));
  MUST(store->Insert(MakeZone("d", "")));
  EXPECT_EQ(MUST(store->List()).size(), 3u);
  // The name is free again once its zone is gone.
  MUST(store->Delete("a"));
  MUST(store->Insert(MakeZone("e", "web")));
}

TEST_F(ZoneStoreTest, ReservationsLiveAndDieWithTheirZone) {
  {
    auto store = MUST(ZoneStore::Open(dir_ + "/krata.db"));
    ZoneReservation r{"a", "10.75.0.3", "fdd4:1476:6c7e::3", "02:00:00:00:00:01"};
    MUST(store->Insert(MakeZone("a", "web"), &r));
    MUST(store->Insert(MakeZone("b", "")));  // no network
    // A reservation that collides is refused with the zone row: nothing half-inserted.
    ZoneReservation dup{"c", "10.75.0.3", "fdd4:1476:6c7e::4", "02:00:00:00:00:02"};
    Status s = store->Insert(MakeZone("c", "other"), &dup);
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().errno_value(), EEXIST);
    EXPECT_FALSE(MUST(store->Get("c")).has_value());
    MUST(store->PutSetting("gateway_mac", "02:aa:00:00:00:01"));
  }
  auto store = MUST(ZoneStore::Open(dir_ + "/krata.db"));
  std::vector<ZoneReservation> rs = MUST(store->ListReservations());
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].zone_id, "a");
  EXPECT_EQ(rs[0].ipv4, "10.75.0.3");
  EXPECT_EQ(rs[0].ipv6, "fdd4:1476:6c7e::3");
  EXPECT_EQ(rs[0].mac, "02:00:00:00:00:01");
  EXPECT_EQ(MUST(store->GetSetting("gateway_mac")), "02:aa:00:00:00:01");
  EXPECT_FALSE(MUST(store->GetSetting("host_mac")).has_value());
  MUST(store->Delete("a"));
  EXPECT_TRUE(MUST(store->ListReservations()).empty());
  EXPECT_FALSE(MUST(store->Get("a")).has_value());
}

TEST_F(ZoneStoreTest, MigratesVersionOneKeepingZones) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/krata.db").c_str(), &db), SQLITE_OK);
  const char* v1 =
      "CREATE TABLE zones (id TEXT PRIMARY KEY, name TEXT NOT NULL, spec BLOB NOT NULL,"
      " status BLOB NOT NULL, state INTEGER NOT NULL, domid INTEGER NOT NULL,"
      " created_unix INTEGER NOT NULL, updated_unix INTEGER NOT NULL);"
      "CREATE UNIQUE INDEX zones_name ON zones(name) WHERE name <> '';"
      "INSERT INTO zones VALUES ('old', 'web', x'', x'', 0, 0, 1, 1);"
      "PRAGMA user_version=1;";
  ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = MUST(ZoneStore::Open(dir_ + "/krata.db"));
  EXPECT_TRUE(MUST(store->Get("old")).has_value());
  EXPECT_TRUE(MUST(store->ListReservations()).empty());
  ZoneReservation r{"new", "10.75.0.3", "fdd4:1476:6c7e::3", "02:00:00:00:00:01"};
  MUST(store->Insert(MakeZone("new", ""), &r));
  MUST(store->Delete("old"));
  EXPECT_EQ(MUST(store->ListReservations()).size(), 1u);
}

TEST_F(ZoneStoreTest, RefusesNewerSchema) {
  { auto store = MUST(ZoneStore::Open(dir_ + "/krata.db")); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/krata.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  Result<std::unique_ptr<ZoneStore>> r = ZoneStore::Open(dir_ + "/krata.db");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("newer"), std::string::npos);
}

}  // namespace
}  // namespace krata::daemon
