#pragma once
// Turns kratad's view of zones (a full ListZones answer, or one ZoneChangedEvent) into the
// attach/detach actions that make the switch match it. Pure bookkeeping, no I/O: the caller
// applies the actions (zone_attacher.h).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/kratanet/desired_zone.h"

namespace krata::net::kratanet {

struct ZoneAction {
  enum class Kind { kAttach, kDetach };
  Kind kind = Kind::kAttach;
  DesiredZone zone;  // kDetach: the zone as it was attached
};

class ZoneTracker {
 public:
  // A complete list (after connecting or reconnecting to kratad): zones missing from it are
  // detached, new ones attached, changed ones detached and attached again. Duplicate ids in
  // `zones`: the last one wins.
  std::vector<ZoneAction> Replace(const std::vector<DesiredZone>& zones);

  // One zone changed: `zone` is what it should be now, or nullopt when it should not be
  // attached (stopped, destroyed, no network yet).
  std::vector<ZoneAction> Update(const std::string& id, const std::optional<DesiredZone>& zone);

  const std::map<std::string, DesiredZone>& zones() const { return zones_; }

 private:
  void Set(const DesiredZone& zone, std::vector<ZoneAction>& out);
  std::map<std::string, DesiredZone> zones_;
};

}  // namespace krata::net::kratanet
