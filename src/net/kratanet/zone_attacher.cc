#include "net/kratanet/zone_attacher.h"

#include <spdlog/spdlog.h>

namespace krata::net::kratanet {

ZoneAttacher::ZoneAttacher(EventLoop& loop, ZoneSink& sink, AttachOptions options)
    : loop_(loop), sink_(sink), options_(options) {}

ZoneAttacher::~ZoneAttacher() {
  for (auto& [id, e] : entries_) loop_.CancelTimer(e.retry);
}

void ZoneAttacher::Apply(const std::vector<ZoneAction>& actions) {
  for (const ZoneAction& a : actions) {
    if (a.kind == ZoneAction::Kind::kAttach) {
      Attach(a.zone);
    } else {
      Detach(a.zone.id);
    }
  }
}

void ZoneAttacher::DetachAll() {
  while (!entries_.empty()) Detach(entries_.begin()->first);
}

bool ZoneAttacher::IsAttached(const std::string& id) const {
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.attached;
}

bool ZoneAttacher::IsPending(const std::string& id) const {
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.retry != 0;
}

size_t ZoneAttacher::attached_count() const {
  size_t n = 0;
  for (const auto& [id, e] : entries_) n += e.attached ? 1 : 0;
  return n;
}

void ZoneAttacher::Attach(const DesiredZone& zone) {
  Detach(zone.id);  // a changed zone: the tracker sends detach first, but be safe
  Entry& e = entries_[zone.id];
  e.zone = zone;
  e.deadline = loop_.Now() + options_.attach_timeout;
  TryAttach(zone.id);
}

void ZoneAttacher::Detach(const std::string& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  loop_.CancelTimer(it->second.retry);
  if (it->second.attached) {
    sink_.Detach(it->second.zone);
    spdlog::info("zone {}: detached from {}", it->second.zone.label, it->second.zone.ifname);
  } else {
    spdlog::info("zone {}: no longer waiting for {}", it->second.zone.label,
                 it->second.zone.ifname);
  }
  entries_.erase(it);
}

void ZoneAttacher::TryAttach(const std::string& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  e.retry = 0;
  ++e.attempts;
  Status st = sink_.Attach(e.zone);
  if (st.has_value()) {
    e.attached = true;
    std::string forwards;
    for (const PortForward& f : e.zone.forwards) forwards += " " + ToString(f);
    spdlog::info("zone {}: attached on {} ({} {} {}){}{}", e.zone.label, e.zone.ifname,
                 ToString(e.zone.addrs.mac), ToString(e.zone.addrs.ip4), ToString(e.zone.addrs.ip6),
                 forwards.empty() ? "" : ", ports", forwards);
    return;
  }
  if (loop_.Now() >= e.deadline) {
    spdlog::error("zone {}: giving up attaching {} after {} attempts: {}", e.zone.label,
                  e.zone.ifname, e.attempts, st.error().ToString());
    ++failed_;
    entries_.erase(it);
    return;
  }
  if (e.attempts == 1) {
    spdlog::info("zone {}: cannot attach {} yet ({}); retrying for up to {} s", e.zone.label,
                 e.zone.ifname, st.error().ToString(),
                 std::chrono::duration_cast<std::chrono::seconds>(options_.attach_timeout).count());
  } else {
    spdlog::debug("zone {}: attach attempt {} failed: {}", e.zone.label, e.attempts,
                  st.error().ToString());
  }
  e.retry = loop_.AddTimer(options_.retry_interval, [this, id] { TryAttach(id); });
}

}  // namespace krata::net::kratanet
