#pragma once
// ConsoleHub: where zone console output goes. The runtime's console thread calls Append(),
// which never blocks on a reader: the bytes go to
//   - <log_dir>/<zone_id>.log, rotated to <zone_id>.log.1 at log_max_bytes (so a zone's logs
//     take at most twice that on disk, and survive a daemon restart);
//   - an in-memory history of the last history_bytes (reloaded from the log files the first
//     time a zone is touched after a restart, so attach and logs replay the same bytes);
//   - every subscriber's queue; a subscriber whose queue passes subscriber_max_bytes is cut
//     off (its Wait() reports kOverflow) instead of slowing the runtime down.
// End(zone) marks the zone stopped: subscribers drain what they have and then see kEnd;
// later subscribers get the history and kEnd. Reopen() undoes End (a zone adopted again).
//
// Thread-safe.

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_handle.h"

namespace krata::daemon {

struct ConsoleHubOptions {
  std::string log_dir;  // empty: no log files
  size_t history_bytes = 1 << 20;
  size_t log_max_bytes = 4 << 20;
  size_t subscriber_max_bytes = 4 << 20;
};

class ConsoleSubscription {
 public:
  enum class Event { kData, kEnd, kOverflow, kTimeout };
  // Moves queued bytes into *out (kData), or reports why there are none.
  Event Wait(std::string* out, std::chrono::milliseconds timeout);
  // Ends the subscription from the reader's side (wakes Wait with kEnd).
  void Cancel();

 private:
  friend class ConsoleHub;
  void Push(std::string_view bytes, size_t max);
  void Finish();

  std::mutex mu_;
  std::condition_variable cv_;
  std::string queue_;
  bool ended_ = false;
  bool overflow_ = false;
};

class ConsoleHub {
 public:
  explicit ConsoleHub(ConsoleHubOptions options);

  void Append(const std::string& zone_id, std::string_view bytes);
  // replay: the history comes first. follow: live bytes until End(); else kEnd after the
  // history.
  std::shared_ptr<ConsoleSubscription> Subscribe(const std::string& zone_id, bool replay,
                                                 bool follow);
  std::string History(const std::string& zone_id);
  void End(const std::string& zone_id);
  void Reopen(const std::string& zone_id);
  // Forgets the zone and deletes its log files.
  void Remove(const std::string& zone_id);
  // Ends every subscription (daemon stop).
  void Shutdown();

 private:
  struct Zone {
    std::string history;
    UniqueFd log;
    uint64_t log_size = 0;
    bool ended = false;
    std::vector<std::weak_ptr<ConsoleSubscription>> subscribers;
  };
  Zone& ZoneLocked(const std::string& zone_id);
  void WriteLogLocked(const std::string& zone_id, Zone& z, std::string_view bytes);
  std::string LogPath(const std::string& zone_id) const;

  ConsoleHubOptions options_;
  std::mutex mu_;
  std::map<std::string, Zone> zones_;
  bool shutdown_ = false;
};

}  // namespace krata::daemon
