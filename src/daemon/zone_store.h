#pragma once
// ZoneStore: kratad's zone table in SQLite (<store>/krata.db, WAL). One row per zone that is
// not yet destroyed; DESTROYED zones are deleted. Names are unique among the rows (a partial
// unique index skips unnamed zones). The schema version is PRAGMA user_version; Open()
// creates or migrates the schema and refuses a newer one.
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

inline constexpr int kSchemaVersion = 1;

class ZoneStore {
 public:
  static Result<std::unique_ptr<ZoneStore>> Open(const std::string& path);
  ~ZoneStore();
  ZoneStore(const ZoneStore&) = delete;
  ZoneStore& operator=(const ZoneStore&) = delete;

  // Inserts a new zone. EEXIST (errno) when the name is taken.
  Status Insert(const v1::common::Zone& zone);
  // Replaces the zone's status (spec and name are immutable). ENOENT when missing.
  Status UpdateStatus(const std::string& id, const v1::common::ZoneStatus& status);
  Status Delete(const std::string& id);
  // nullopt when missing.
  Result<std::optional<v1::common::Zone>> Get(const std::string& id);
  Result<std::optional<v1::common::Zone>> FindByName(const std::string& name);
  // Oldest first.
  Result<std::vector<v1::common::Zone>> List();

 private:
  explicit ZoneStore(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);
  Result<std::vector<v1::common::Zone>> Query(const char* sql, const std::string* arg);

  std::mutex mu_;
  sqlite3* db_;
};

}  // namespace krata::daemon
