#pragma once
// UdpNat's state, shared by udp_nat.cc (zone-initiated flows) and udp_forward.cc (forwarded
// host ports). Internal to krata_netnat.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "net/nat/lru_table.h"
#include "net/nat/udp_nat.h"
#include "net/packet/addr.h"
#include "net/packet/build.h"

namespace krata::net {

// A zone-initiated flow: the zone's endpoint and the endpoint it sent to (which replies must
// appear to come from, even when the socket talks to a DNS upstream instead).
struct UdpFlowKey {
  Endpoint zone, remote;
  bool operator==(const UdpFlowKey&) const = default;
};
struct UdpFlowKeyHash {
  size_t operator()(const UdpFlowKey& k) const {
    EndpointHash h;
    return h(k.zone) * 0x9e3779b97f4a7c15ULL ^ h(k.remote);
  }
};
struct UdpFlow {
  LoopFd sock;  // connected to send_to
  Endpoint send_to;
  std::vector<std::byte> last_ip;  // start of the zone's last datagram, for ICMP errors
};

// A host peer of a forwarded port, known to the zone as (gateway address, vport).
struct UdpPeer {
  uint16_t host_port = 0;
  Endpoint peer;
  bool operator==(const UdpPeer&) const = default;
};
struct UdpPeerHash {
  size_t operator()(const UdpPeer& p) const { return EndpointHash{}(p.peer) ^ p.host_port; }
};

struct UdpForward {
  uint16_t host_port = 0, zone_port = 0;
  std::array<LoopFd, 2> sock;  // [0] IPv4, [1] IPv6 (may be unset)
};

// Gateway source ports handed to forward peers, per zone and family.
inline constexpr uint16_t kVportFirst = 40000, kVportLast = 59999;
inline constexpr size_t kVportCount = kVportLast - kVportFirst + 1;

using UdpFlowTable = LruTable<UdpFlowKey, UdpFlow, UdpFlowKeyHash>;
using UdpPeerTable = LruTable<uint16_t, UdpPeer>;  // by vport

struct UdpZone {
  UdpZone(EventLoop& loop, ZonePort& p, const UdpNatOptions& options);
  ZonePort* port;
  std::map<uint16_t, UdpForward> forwards;  // by host port
  // Per family ([1] IPv6): peer -> vport, kept in step with `peers` by its on_erase hook.
  std::array<std::unordered_map<UdpPeer, uint16_t, UdpPeerHash>, 2> vport_of;
  std::array<uint16_t, 2> next_vport{kVportFirst, kVportFirst};
  // Destroyed before the maps above (members go in reverse order).
  std::array<std::unique_ptr<UdpPeerTable>, 2> peers;
  UdpFlowTable flows;
};

struct UdpNat::Impl {
  Impl(EventLoop& l, UdpNatOptions o);

  UdpZone& Zone(ZonePort& port);

  // udp_nat.cc
  void FromZone(ZonePort& port, const Frame& frame, std::optional<Endpoint> send_to);
  UdpFlowTable::Entry* OpenFlow(UdpZone& zone, const UdpFlowKey& key, const Endpoint& send_to,
                                const Frame& frame);
  void OnFlowReadable(UdpZone* zone, const UdpFlowKey& key);
  // Builds and sends one datagram to the zone; counts it as sent or dropped.
  void SendUdpToZone(ZonePort& port, const Endpoint& src, const Endpoint& dst, ByteSpan payload);

  // udp_forward.cc
  Status AddForward(ZonePort& port, uint16_t host_port, uint16_t zone_port);
  void OnForwardReadable(UdpZone* zone, uint16_t host_port, bool v6);
  // Relays a zone datagram addressed to a forward peer's (gateway address, vport); false if
  // the destination is no such mapping.
  bool ToForwardPeer(UdpZone& zone, const Frame& frame);
  // The vport of a peer, allocated on first contact; nullopt if none is free.
  std::optional<uint16_t> PeerVport(UdpZone& zone, bool v6, const UdpPeer& peer);
  void DropZone(const ZonePort& port);

  EventLoop& loop;
  UdpNatOptions options;
  uint64_t to_host = 0, to_zone = 0, dropped = 0;
  std::unordered_map<const ZonePort*, std::unique_ptr<UdpZone>> zones;
  std::set<uint16_t> forwarded_ports;  // host ports, across zones
  std::vector<uint8_t> frame_buf = std::vector<uint8_t>(kMaxFrameBytes);
  std::vector<std::byte> recv_buf = std::vector<std::byte>(65536);  // any UDP datagram
};

}  // namespace krata::net
