#include "net/kratanet/zone_tracker.h"

#include <set>

namespace krata::net::kratanet {

void ZoneTracker::Set(const DesiredZone& zone, std::vector<ZoneAction>& out) {
  auto it = zones_.find(zone.id);
  if (it != zones_.end()) {
    if (SameAttachment(it->second, zone)) {
      it->second.label = zone.label;
      return;
    }
    out.push_back({ZoneAction::Kind::kDetach, it->second});
    zones_.erase(it);
  }
  zones_.emplace(zone.id, zone);
  out.push_back({ZoneAction::Kind::kAttach, zone});
}

std::vector<ZoneAction> ZoneTracker::Replace(const std::vector<DesiredZone>& zones) {
  std::map<std::string, const DesiredZone*> wanted;
  for (const DesiredZone& z : zones) wanted[z.id] = &z;
  std::vector<ZoneAction> out;
  // Detaches first, so a host port or link a vanished zone held is free for a new one.
  for (auto it = zones_.begin(); it != zones_.end();) {
    if (wanted.count(it->first) == 0) {
      out.push_back({ZoneAction::Kind::kDetach, it->second});
      it = zones_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [id, z] : wanted) Set(*z, out);
  return out;
}

std::vector<ZoneAction> ZoneTracker::Update(const std::string& id,
                                            const std::optional<DesiredZone>& zone) {
  std::vector<ZoneAction> out;
  if (zone.has_value()) {
    Set(*zone, out);
    return out;
  }
  auto it = zones_.find(id);
  if (it != zones_.end()) {
    out.push_back({ZoneAction::Kind::kDetach, it->second});
    zones_.erase(it);
  }
  return out;
}

}  // namespace krata::net::kratanet
