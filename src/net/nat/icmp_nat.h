#pragma once
// ICMP/ICMPv6 echo from zones to outside destinations, through unprivileged ping sockets
// (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6; net.ipv4.ping_group_range) where the host allows them,
// raw sockets otherwise. The kernel rewrites the echo id on ping sockets, so flows map the
// zone's id back. Other ICMP types from zones are dropped.

#include <chrono>
#include <memory>

#include "net/loop/event_loop.h"
#include "net/packet/frame.h"
#include "net/stack/zone_port.h"

namespace krata::net {

struct IcmpNatOptions {
  size_t max_flows = 1024;  // per zone
  std::chrono::milliseconds idle_timeout{30000};
};

class IcmpNat {
 public:
  IcmpNat(EventLoop& loop, IcmpNatOptions options = {});
  ~IcmpNat();
  IcmpNat(const IcmpNat&) = delete;
  IcmpNat& operator=(const IcmpNat&) = delete;

  // An ICMP/ICMPv6 frame from the zone to a destination outside the zone network.
  void FromZone(ZonePort& port, const Frame& frame);
  void DropZone(const ZonePort& port);

  size_t flow_count() const;
  bool using_ping_sockets() const;  // false: raw sockets (needs CAP_NET_RAW)
  uint64_t dropped() const;         // frames from zones not translated, replies not delivered

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace krata::net
