#pragma once
// Hands zone updates from the gRPC thread (kratad_follower.h) to the event loop's thread:
// a locked queue plus an eventfd the loop watches. The network stack itself never locks.

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_handle.h"
#include "net/kratanet/desired_zone.h"

namespace krata::net::kratanet {

struct ZoneUpdate {
  enum class Kind { kSnapshot, kChanged };
  Kind kind = Kind::kSnapshot;
  std::vector<DesiredZone> zones;   // kSnapshot: every zone that should be attached
  std::string id;                   // kChanged
  std::optional<DesiredZone> zone;  // kChanged: nullopt = should not be attached
};

class UpdateQueue {
 public:
  static Result<std::unique_ptr<UpdateQueue>> Create();

  int fd() const { return event_.get(); }  // readable while updates are queued
  void Push(ZoneUpdate update);            // any thread
  std::vector<ZoneUpdate> Drain();         // the loop's thread; resets fd()

 private:
  explicit UpdateQueue(UniqueFd event) : event_(std::move(event)) {}
  UniqueFd event_;
  std::mutex mu_;
  std::vector<ZoneUpdate> updates_;
};

}  // namespace krata::net::kratanet
