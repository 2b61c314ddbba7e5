#pragma once
// ZoneStore: kratad's zone table in SQLite (<store>/krata.db, WAL). One row per zone that is
// not yet destroyed; DESTROYED zones are deleted. Names are unique among the rows (a partial
// unique index skips unnamed zones). The schema version is PRAGMA user_version; Open()
// creates or migrates the schema and refuses a newer one.
//
// Version 2 adds zone_network (each zone's reserved addresses and MAC, unique columns,
// inserted and deleted together with the zone's row) and settings (key/value: the gateway's
// and host's MACs).
//
// Thread-safe (one connection behind a mutex; every call is short).

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "krata/v1/common.pb.h"

struct sqlite3;

namespace krata::daemon {

inline constexpr int kSchemaVersion = 2;

// A zone's network reservation: addresses as plain text ("10.75.0.3", "fdd4:1476:6c7e::3").
struct ZoneReservation {
  std::string zone_id;
  std::string ipv4;
  std::string ipv6;
  std::string mac;  // "02:..."
};

class ZoneStore {
 public:
  static Result<std::unique_ptr<ZoneStore>> Open(const std::string& path);
  ~ZoneStore();
  ZoneStore(const ZoneStore&) = delete;
  ZoneStore& operator=(const ZoneStore&) = delete;

  // Inserts a new zone, with its network reservation when given, in one transaction. EEXIST
  // (errno) when the name (or a reserved address) is taken.
  Status Insert(const v1::common::Zone& zone, const ZoneReservation* reservation = nullptr);
  // Replaces the zone's status (spec and name are immutable). ENOENT when missing.
  Status UpdateStatus(const std::string& id, const v1::common::ZoneStatus& status);
  // Deletes the zone and frees its reservation.
  Status Delete(const std::string& id);
  Result<std::vector<ZoneReservation>> ListReservations();
  // Small persistent values (nullopt when unset).
  Result<std::optional<std::string>> GetSetting(const std::string& key);
  Status PutSetting(const std::string& key, const std::string& value);
  // nullopt when missing.
  Result<std::optional<v1::common::Zone>> Get(const std::string& id);
  Result<std::optional<v1::common::Zone>> FindByName(const std::string& name);
  // Oldest first.
  Result<std::vector<v1::common::Zone>> List();

 private:
  explicit ZoneStore(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);
  Status Migrate(int from_version);
  Status InsertLocked(const v1::common::Zone& zone, const ZoneReservation* reservation);
  Result<std::vector<v1::common::Zone>> Query(const char* sql, const std::string* arg);

  std::mutex mu_;
  sqlite3* db_;
};

}  // namespace krata::daemon
