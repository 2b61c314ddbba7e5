#pragma once
// UDP between zones and host sockets: one connected host UDP socket per (zone endpoint,
// remote endpoint) flow, replies rebuilt as frames to the zone; flows expire after
// idle_timeout. Also UDP port forwarding: a host socket bound to a host port relays each
// host peer's datagrams to a zone port, from a per-peer gateway source port so replies find
// their way back.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "base/result.h"
#include "net/loop/event_loop.h"
#include "net/packet/frame.h"
#include "net/stack/zone_port.h"

namespace krata::net {

struct UdpNatOptions {
  size_t max_flows = 4096;  // per zone; the least recently used flow is evicted beyond it
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds forward_peer_timeout{180000};
};

struct UdpNatStats {
  size_t flows = 0;
  uint64_t to_host = 0, to_zone = 0, dropped = 0;
};

class UdpNat {
 public:
  UdpNat(EventLoop& loop, UdpNatOptions options = {});
  ~UdpNat();
  UdpNat(const UdpNat&) = delete;
  UdpNat& operator=(const UdpNat&) = delete;

  // A UDP datagram from the zone (frame.l4 == kUdp). Sent through the flow's host socket to
  // `send_to` (the frame's destination, or an upstream resolver for DNS), or, when it answers
  // a forwarded port's peer (destination = gateway address and a forward's source port),
  // back to that peer. With send_to == nullopt and no forward match, the zone gets ICMP port
  // unreachable.
  void FromZone(ZonePort& port, const Frame& frame, std::optional<Endpoint> send_to);

  // Forwards host UDP port `host_port` (IPv4 and IPv6 wildcard) to the zone's `zone_port`,
  // over IPv4 and IPv6 respectively. Fails if the port cannot be bound.
  Status AddForward(ZonePort& port, uint16_t host_port, uint16_t zone_port);

  // Closes the zone's flows and forwards. Must be called before the ZonePort is destroyed.
  void DropZone(const ZonePort& port);

  UdpNatStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace krata::net
