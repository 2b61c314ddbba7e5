#include "daemon/zone_store.h"

#include <sqlite3.h>

#include <cerrno>

namespace krata::daemon {
namespace {

namespace common = v1::common;

Error SqlError(sqlite3* db, std::string_view op) {
  int code = sqlite3_extended_errcode(db);
  int err = EIO;
  if ((code & 0xff) == SQLITE_CONSTRAINT) err = EEXIST;
  if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED) err = EBUSY;
  return Error::FromErrno(op, err, std::string("sqlite: ") + sqlite3_errmsg(db));
}

// Finalizes the statement when it leaves scope.
struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

Status Prepare(sqlite3* db, const char* sql, Stmt& st) {
  if (sqlite3_prepare_v2(db, sql, -1, &st.s, nullptr) != SQLITE_OK) {
    return SqlError(db, "sqlite prepare");
  }
  return {};
}

void BindText(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

void BindBlob(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_blob(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

std::string ColumnBytes(sqlite3_stmt* s, int i) {
  const void* p = sqlite3_column_blob(s, i);
  int n = sqlite3_column_bytes(s, i);
  return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
}

constexpr const char* kColumns = "id, spec, status";

}  // namespace

Result<std::unique_ptr<ZoneStore>> ZoneStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  std::unique_ptr<ZoneStore> store(new ZoneStore(db));
  if (rc != SQLITE_OK) return SqlError(db, "sqlite open").With(path);
  sqlite3_busy_timeout(db, 5000);
  TRY(store->Exec("PRAGMA journal_mode=WAL"));
  TRY(store->Exec("PRAGMA synchronous=NORMAL"));
  Stmt st;
  TRY(Prepare(db, "PRAGMA user_version", st));
  int version = sqlite3_step(st.s) == SQLITE_ROW ? sqlite3_column_int(st.s, 0) : 0;
  sqlite3_reset(st.s);  // done reading: the migration below writes
  if (version > kSchemaVersion) {
    return Error::Invalid("zone store", path + ": schema version " + std::to_string(version) +
                                            " is newer than this kratad's " +
                                            std::to_string(kSchemaVersion));
  }
  if (version < kSchemaVersion) TRY(store->Migrate(version));
  return store;
}

ZoneStore::~ZoneStore() { sqlite3_close(db_); }

Status ZoneStore::Migrate(int from_version) {
  if (from_version < 1) {
    // The status is a serialised ZoneStatus; state and domid are columns too, for queries
    // and for reading the database by hand.
    TRY(
        Exec("BEGIN;"
             "CREATE TABLE zones (id TEXT PRIMARY KEY, name TEXT NOT NULL, spec BLOB NOT NULL,"
             " status BLOB NOT NULL, state INTEGER NOT NULL, domid INTEGER NOT NULL,"
             " created_unix INTEGER NOT NULL, updated_unix INTEGER NOT NULL);"
             "CREATE UNIQUE INDEX zones_name ON zones(name) WHERE name <> '';"
             "PRAGMA user_version=1;"
             "COMMIT;"));
  }
  if (from_version < 2) {
    // Zones from version 1 have no reservation: they keep running without a network.
    TRY(
        Exec("BEGIN;"
             "CREATE TABLE zone_network (zone_id TEXT PRIMARY KEY, ipv4 TEXT NOT NULL UNIQUE,"
             " ipv6 TEXT NOT NULL UNIQUE, mac TEXT NOT NULL UNIQUE);"
             "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
             "PRAGMA user_version=2;"
             "COMMIT;"));
  }
  return {};
}

Status ZoneStore::Exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string text = msg != nullptr ? msg : "?";
    sqlite3_free(msg);
    return Error::FromErrno("sqlite exec", EIO, text);
  }
  return {};
}

Status ZoneStore::Insert(const common::Zone& zone, const ZoneReservation* reservation) {
  std::lock_guard<std::mutex> l(mu_);
  TRY(Exec("BEGIN IMMEDIATE"));
  Status s = InsertLocked(zone, reservation);
  if (!s.has_value()) {
    (void)Exec("ROLLBACK");
    return s;
  }
  return Exec("COMMIT");
}

Status ZoneStore::InsertLocked(const common::Zone& zone, const ZoneReservation* reservation) {
  if (reservation != nullptr) {
    Stmt st;
    TRY(Prepare(db_, "INSERT INTO zone_network (zone_id, ipv4, ipv6, mac) VALUES (?, ?, ?, ?)",
                st));
    BindText(st.s, 1, zone.id());
    BindText(st.s, 2, reservation->ipv4);
    BindText(st.s, 3, reservation->ipv6);
    BindText(st.s, 4, reservation->mac);
    if (sqlite3_step(st.s) != SQLITE_DONE) {
      return SqlError(db_, "zone network reserve").With(zone.id());
    }
  }
  Stmt st;
  TRY(Prepare(db_,
              "INSERT INTO zones (id, name, spec, status, state, domid, created_unix,"
              " updated_unix) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              st));
  BindText(st.s, 1, zone.id());
  BindText(st.s, 2, zone.spec().name());
  BindBlob(st.s, 3, zone.spec().SerializeAsString());
  BindBlob(st.s, 4, zone.status().SerializeAsString());
  sqlite3_bind_int(st.s, 5, zone.status().state());
  sqlite3_bind_int64(st.s, 6, zone.status().domid());
  sqlite3_bind_int64(st.s, 7, zone.status().created_unix());
  sqlite3_bind_int64(st.s, 8, zone.status().updated_unix());
  if (sqlite3_step(st.s) != SQLITE_DONE) return SqlError(db_, "zone insert").With(zone.id());
  return {};
}

Status ZoneStore::UpdateStatus(const std::string& id, const common::ZoneStatus& status) {
  std::lock_guard<std::mutex> l(mu_);
  Stmt st;
  TRY(Prepare(
      db_, "UPDATE zones SET status = ?, state = ?, domid = ?, updated_unix = ? WHERE id = ?", st));
  BindBlob(st.s, 1, status.SerializeAsString());
  sqlite3_bind_int(st.s, 2, status.state());
  sqlite3_bind_int64(st.s, 3, status.domid());
  sqlite3_bind_int64(st.s, 4, status.updated_unix());
  BindText(st.s, 5, id);
  if (sqlite3_step(st.s) != SQLITE_DONE) return SqlError(db_, "zone update").With(id);
  if (sqlite3_changes(db_) == 0) return Error::FromErrno("zone update", ENOENT, id);
  return {};
}

Status ZoneStore::Delete(const std::string& id) {
  std::lock_guard<std::mutex> l(mu_);
  TRY(Exec("BEGIN IMMEDIATE"));
  for (const char* sql :
       {"DELETE FROM zone_network WHERE zone_id = ?", "DELETE FROM zones WHERE id = ?"}) {
    Stmt st;
    Status prepared = Prepare(db_, sql, st);
    if (prepared.has_value()) BindText(st.s, 1, id);
    if (!prepared.has_value() || sqlite3_step(st.s) != SQLITE_DONE) {
      Error e = prepared.has_value() ? SqlError(db_, "zone delete").With(id) : prepared.error();
      (void)Exec("ROLLBACK");
      return e;
    }
  }
  return Exec("COMMIT");
}

Result<std::vector<ZoneReservation>> ZoneStore::ListReservations() {
  std::lock_guard<std::mutex> l(mu_);
  Stmt st;
  TRY(Prepare(db_, "SELECT zone_id, ipv4, ipv6, mac FROM zone_network ORDER BY rowid", st));
  std::vector<ZoneReservation> out;
  for (;;) {
    int rc = sqlite3_step(st.s);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return SqlError(db_, "zone network query");
    out.push_back(
        {ColumnBytes(st.s, 0), ColumnBytes(st.s, 1), ColumnBytes(st.s, 2), ColumnBytes(st.s, 3)});
  }
  return out;
}

Result<std::optional<std::string>> ZoneStore::GetSetting(const std::string& key) {
  std::lock_guard<std::mutex> l(mu_);
  Stmt st;
  TRY(Prepare(db_, "SELECT value FROM settings WHERE key = ?", st));
  BindText(st.s, 1, key);
  int rc = sqlite3_step(st.s);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return SqlError(db_, "settings query").With(key);
  return std::optional<std::string>(ColumnBytes(st.s, 0));
}

Status ZoneStore::PutSetting(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> l(mu_);
  Stmt st;
  TRY(Prepare(db_, "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", st));
  BindText(st.s, 1, key);
  BindText(st.s, 2, value);
  if (sqlite3_step(st.s) != SQLITE_DONE) return SqlError(db_, "settings write").With(key);
  return {};
}

Result<std::vector<common::Zone>> ZoneStore::Query(const char* where, const std::string* arg) {
  std::lock_guard<std::mutex> l(mu_);
  std::string sql = std::string("SELECT ") + kColumns + " FROM zones " + where;
  Stmt st;
  TRY(Prepare(db_, sql.c_str(), st));
  if (arg != nullptr) BindText(st.s, 1, *arg);
  std::vector<common::Zone> out;
  for (;;) {
    int rc = sqlite3_step(st.s);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return SqlError(db_, "zone query");
    common::Zone z;
    z.set_id(reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0)));
    if (!z.mutable_spec()->ParseFromString(ColumnBytes(st.s, 1)) ||
        !z.mutable_status()->ParseFromString(ColumnBytes(st.s, 2))) {
      return Error::Invalid("zone store", "corrupt row " + z.id());
    }
    out.push_back(std::move(z));
  }
  return out;
}

Result<std::optional<common::Zone>> ZoneStore::Get(const std::string& id) {
  std::vector<common::Zone> rows = TRY(Query("WHERE id = ?", &id));
  if (rows.empty()) return std::optional<common::Zone>();
  return std::optional<common::Zone>(std::move(rows[0]));
}

Result<std::optional<common::Zone>> ZoneStore::FindByName(const std::string& name) {
  if (name.empty()) return std::optional<common::Zone>();
  std::vector<common::Zone> rows = TRY(Query("WHERE name = ?", &name));
  if (rows.empty()) return std::optional<common::Zone>();
  return std::optional<common::Zone>(std::move(rows[0]));
}

Result<std::vector<common::Zone>> ZoneStore::List() {
  return Query("ORDER BY created_unix, rowid", nullptr);
}

}  // namespace krata::daemon
