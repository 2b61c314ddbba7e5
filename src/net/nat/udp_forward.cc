// Forwarded UDP host ports. Each host peer gets its own gateway source port (vport) towards
// the zone, so the zone's replies, addressed to (gateway address, vport), name the peer they
// are for. Mappings expire after forward_peer_timeout without traffic either way.

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "base/eintr.h"
#include "net/nat/nat_socket.h"
#include "net/nat/udp_nat_impl.h"

namespace krata::net {

namespace {
constexpr int kReadBudget = 64;  // datagrams per wakeup, as for flows
}

Status UdpNat::Impl::AddForward(ZonePort& port, uint16_t host_port, uint16_t zone_port) {
  if (host_port == 0 || zone_port == 0) {
    return Error::Invalid("udp forward", "port 0 cannot be forwarded");
  }
  // SO_REUSEADDR would let a second UDP bind on the port succeed and split the traffic.
  if (forwarded_ports.contains(host_port)) {
    return Error::FromErrno("bind", EADDRINUSE, "udp port " + std::to_string(host_port));
  }
  UdpForward fwd{.host_port = host_port, .zone_port = zone_port, .sock = {}};
  UniqueFd fd4 = TRY(BoundUdp(false, host_port));
  Result<UniqueFd> fd6 = BoundUdp(true, host_port);
  if (!fd6.has_value()) {
    int err = fd6.error().errno_value();
    // A host without IPv6 forwards over IPv4 only.
    if (err != EAFNOSUPPORT && err != EADDRNOTAVAIL) return std::move(fd6.error());
  }

  UdpZone& zone = Zone(port);
  std::array<int, 2> raw{fd4.get(), fd6.has_value() ? fd6->get() : -1};
  fwd.sock[0] = LoopFd(loop, std::move(fd4));
  if (fd6.has_value()) fwd.sock[1] = LoopFd(loop, std::move(*fd6));
  auto [it, inserted] = zone.forwards.emplace(host_port, std::move(fwd));
  (void)inserted;  // forwarded_ports rules out duplicates
  for (size_t v6 = 0; v6 < 2; ++v6) {
    if (raw[v6] < 0) continue;
    Status watched = loop.Add(raw[v6], EPOLLIN, [this, z = &zone, host_port, v6](uint32_t) {
      OnForwardReadable(z, host_port, v6 != 0);
    });
    if (!watched.has_value()) {
      zone.forwards.erase(it);
      return std::move(watched.error());
    }
  }
  forwarded_ports.insert(host_port);
  return {};
}

void UdpNat::Impl::OnForwardReadable(UdpZone* zone, uint16_t host_port, bool v6) {
  ZonePort& port = *zone->port;
  for (int i = 0; i < kReadBudget; ++i) {
    auto fwd = zone->forwards.find(host_port);
    if (fwd == zone->forwards.end()) return;
    int fd = fwd->second.sock[v6].get();
    sockaddr_storage sa{};
    socklen_t sa_len = sizeof sa;
    ssize_t n = RetryEintr([&] {
      return ::recvfrom(fd, recv_buf.data(), recv_buf.size(), MSG_DONTWAIT | MSG_TRUNC,
                        reinterpret_cast<sockaddr*>(&sa), &sa_len);
    });
    if (n < 0) {
      if (errno == EAGAIN) return;  // == EWOULDBLOCK on Linux
      continue;                     // a pending socket error, now cleared
    }
    Result<Endpoint> peer = FromSockaddr(reinterpret_cast<sockaddr*>(&sa), sa_len);
    const IpAddr& zone_ip = v6 ? port.zone().ip6 : port.zone().ip4;
    const IpAddr& gw_ip = v6 ? port.gateway().ip6 : port.gateway().ip4;
    size_t len = static_cast<size_t>(n);
    if (!peer.has_value() || zone_ip.IsUnspecified() || gw_ip.IsUnspecified() ||
        len > recv_buf.size() || len > MaxUdpPayload(port, v6)) {
      ++dropped;
      continue;
    }
    std::optional<uint16_t> vport = PeerVport(*zone, v6, UdpPeer{host_port, *peer});
    if (!vport.has_value()) {
      ++dropped;
      continue;
    }
    SendUdpToZone(port, Endpoint{gw_ip, *vport}, Endpoint{zone_ip, fwd->second.zone_port},
                  ByteSpan(recv_buf.data(), len));
  }
}

std::optional<uint16_t> UdpNat::Impl::PeerVport(UdpZone& zone, bool v6, const UdpPeer& peer) {
  UdpPeerTable& peers = *zone.peers[v6];
  if (auto it = zone.vport_of[v6].find(peer); it != zone.vport_of[v6].end()) {
    if (UdpPeerTable::Entry* e = peers.Find(it->second)) peers.Touch(*e);
    return it->second;
  }
  if (peers.full()) peers.EvictOldest();
  uint16_t& next = zone.next_vport[v6];
  for (size_t tries = 0; tries < kVportCount; ++tries) {
    uint16_t vport = next;
    next = next == kVportLast ? kVportFirst : next + 1;
    if (peers.Find(vport) != nullptr) continue;
    peers.Insert(vport, peer);
    zone.vport_of[v6].emplace(peer, vport);
    return vport;
  }
  return std::nullopt;
}

bool UdpNat::Impl::ToForwardPeer(UdpZone& zone, const Frame& frame) {
  bool v6 = frame.l3 == L3::kIpv6;
  UdpPeerTable::Entry* e = zone.peers[v6]->Find(frame.udp.dst_port);
  if (e == nullptr) return false;
  auto fwd = zone.forwards.find(e->value.host_port);
  if (fwd == zone.forwards.end() || !fwd->second.sock[v6]) return false;
  zone.peers[v6]->Touch(*e);
  sockaddr_storage sa{};
  socklen_t sa_len = ToSockaddr(e->value.peer, &sa);
  ByteSpan payload = frame.udp.payload;
  ssize_t n = RetryEintr([&] {
    return ::sendto(fwd->second.sock[v6].get(), payload.data(), payload.size(), MSG_DONTWAIT,
                    reinterpret_cast<sockaddr*>(&sa), sa_len);
  });
  if (n >= 0) {
    ++to_host;
  } else {
    ++dropped;
  }
  return true;
}

}  // namespace krata::net
