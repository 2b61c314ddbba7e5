#pragma once
// Applies ZoneTracker's actions on the event loop's thread. netback creates vif<domid>.0
// asynchronously, after kratad reports the zone CREATED, so a failed attach is retried on a
// timer until attach_timeout; then kratanet gives up on that zone and says so.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/kratanet/zone_tracker.h"
#include "net/loop/event_loop.h"

namespace krata::net::kratanet {

// Where zones are attached: the switch (SwitchSink in kratanet.cc), or a fake in tests.
class ZoneSink {
 public:
  virtual ~ZoneSink() = default;
  virtual Status Attach(const DesiredZone& zone) = 0;
  virtual void Detach(const DesiredZone& zone) = 0;
};

struct AttachOptions {
  std::chrono::milliseconds retry_interval{250};
  std::chrono::milliseconds attach_timeout{30000};
};

class ZoneAttacher {
 public:
  ZoneAttacher(EventLoop& loop, ZoneSink& sink, AttachOptions options = {});
  ~ZoneAttacher();  // cancels pending retries; does not detach (call DetachAll)
  ZoneAttacher(const ZoneAttacher&) = delete;
  ZoneAttacher& operator=(const ZoneAttacher&) = delete;

  void Apply(const std::vector<ZoneAction>& actions);
  void DetachAll();

  bool IsAttached(const std::string& id) const;
  bool IsPending(const std::string& id) const;  // waiting for a retry
  size_t attached_count() const;
  size_t failed_count() const { return failed_; }  // zones given up on, since start

 private:
  struct Entry {
    DesiredZone zone;
    bool attached = false;
    EventLoop::TimerId retry = 0;
    EventLoop::Clock::time_point deadline;
    int attempts = 0;
  };
  void Attach(const DesiredZone& zone);
  void Detach(const std::string& id);
  void TryAttach(const std::string& id);

  EventLoop& loop_;
  ZoneSink& sink_;
  AttachOptions options_;
  std::map<std::string, Entry> entries_;
  size_t failed_ = 0;
};

}  // namespace krata::net::kratanet
