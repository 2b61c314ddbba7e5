// Zone-initiated UDP: one connected host socket per (zone endpoint, remote endpoint). The
// host kernel picks the source address and port, so no port bookkeeping happens here, and
// ICMP errors for the flow come back as errors on its socket.

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "base/eintr.h"
#include "net/nat/nat_socket.h"
#include "net/nat/udp_nat_impl.h"

namespace krata::net {

namespace {
// Datagrams read per socket wakeup, so one busy flow cannot starve the others.
constexpr int kReadBudget = 64;
// What is kept of each zone datagram for a later ICMP error: IP and UDP headers with room
// for IPv4 options or a few IPv6 extension headers. The zone's stack matches errors to
// sockets by those headers (RFC 1122 3.2.2.1); copying more on every datagram buys nothing.
constexpr size_t kQuoteBytes = 256;
}  // namespace

UdpZone::UdpZone(EventLoop& loop, ZonePort& p, const UdpNatOptions& options)
    : port(&p), flows(loop, options.idle_timeout, options.max_flows) {
  for (size_t v6 = 0; v6 < 2; ++v6) {
    peers[v6] = std::make_unique<UdpPeerTable>(
        loop, options.forward_peer_timeout, kVportCount,
        [this, v6](UdpPeerTable::Entry& e) { vport_of[v6].erase(e.value); });
  }
}

UdpNat::Impl::Impl(EventLoop& l, UdpNatOptions o) : loop(l), options(o) {}

UdpZone& UdpNat::Impl::Zone(ZonePort& port) {
  auto it = zones.find(&port);
  if (it == zones.end()) {
    it = zones.emplace(&port, std::make_unique<UdpZone>(loop, port, options)).first;
  }
  return *it->second;
}

void UdpNat::Impl::FromZone(ZonePort& port, const Frame& frame, std::optional<Endpoint> send_to) {
  if (frame.l4 != L4::kUdp || (frame.l3 != L3::kIpv4 && frame.l3 != L3::kIpv6)) {
    ++dropped;
    return;
  }
  UdpZone& zone = Zone(port);
  const GatewayConfig& gw = port.gateway();
  bool v6 = frame.l3 == L3::kIpv6;
  if (frame.ip_dst == (v6 ? gw.ip6 : gw.ip4) && ToForwardPeer(zone, frame)) return;

  // Broadcast and multicast stay inside the zone network, and get no ICMP errors
  // (RFC 1122 3.2.2).
  if (frame.ip_dst.IsMulticast()) {
    ++dropped;
    return;
  }
  if (!send_to.has_value()) {
    SendUnreachable(port, frame.ip_dst, frame.ip_src, Unreachable::kPort, frame.ip_packet);
    ++dropped;
    return;
  }

  UdpFlowKey key{.zone = {frame.ip_src, frame.udp.src_port},
                 .remote = {frame.ip_dst, frame.udp.dst_port}};
  UdpFlowTable::Entry* flow = zone.flows.Find(key);
  if (flow != nullptr && flow->value.send_to != *send_to) {
    zone.flows.Erase(key);  // the upstream changed (DNS configuration): start afresh
    flow = nullptr;
  }
  if (flow == nullptr) {
    flow = OpenFlow(zone, key, *send_to, frame);
    if (flow == nullptr) return;
  }
  zone.flows.Touch(*flow);
  ByteSpan ip = frame.ip_packet;
  flow->value.last_ip.assign(ip.begin(), ip.begin() + std::min(ip.size(), kQuoteBytes));

  ByteSpan payload = frame.udp.payload;
  ssize_t n = RetryEintr(
      [&] { return ::send(flow->value.sock.get(), payload.data(), payload.size(), MSG_DONTWAIT); });
  if (n >= 0) {
    ++to_host;
    return;
  }
  int err = errno;
  ++dropped;  // EAGAIN/ENOBUFS: the host is congested, drop as a full queue would
  // A pending ICMP error from an earlier datagram is reported here instead of sending.
  if (std::optional<Unreachable> why = UnreachableFromErrno(err)) {
    SendUnreachable(port, frame.ip_dst, frame.ip_src, *why, frame.ip_packet);
  }
}

UdpFlowTable::Entry* UdpNat::Impl::OpenFlow(UdpZone& zone, const UdpFlowKey& key,
                                            const Endpoint& send_to, const Frame& frame) {
  Result<UniqueFd> fd = ConnectedUdp(send_to);
  if (!fd.has_value()) {
    ++dropped;
    if (std::optional<Unreachable> why = UnreachableFromErrno(fd.error().errno_value())) {
      SendUnreachable(*zone.port, frame.ip_dst, frame.ip_src, *why, frame.ip_packet);
    } else {
      spdlog::warn("udp nat {}: {}", zone.port->zone().name, fd.error().ToString());
    }
    return nullptr;
  }
  int raw = fd->get();
  UdpFlowTable::Entry& flow = zone.flows.Insert(
      key, UdpFlow{.sock = LoopFd(loop, std::move(*fd)), .send_to = send_to, .last_ip = {}});
  Status watched =
      loop.Add(raw, EPOLLIN, [this, z = &zone, key](uint32_t) { OnFlowReadable(z, key); });
  if (!watched.has_value()) {
    spdlog::warn("udp nat {}: {}", zone.port->zone().name, watched.error().ToString());
    zone.flows.Erase(key);
    ++dropped;
    return nullptr;
  }
  return &flow;
}

void UdpNat::Impl::OnFlowReadable(UdpZone* zone, const UdpFlowKey& key) {
  ZonePort& port = *zone->port;
  for (int i = 0; i < kReadBudget; ++i) {
    UdpFlowTable::Entry* flow = zone->flows.Find(key);
    if (flow == nullptr) return;
    // MSG_TRUNC: the datagram's real length, to drop what the buffer could not hold.
    ssize_t n = RetryEintr([&] {
      return ::recv(flow->value.sock.get(), recv_buf.data(), recv_buf.size(),
                    MSG_DONTWAIT | MSG_TRUNC);
    });
    if (n < 0) {
      int err = errno;
      if (err == EAGAIN) return;  // == EWOULDBLOCK on Linux
      // An ICMP error for an earlier datagram (reading it clears it): tell the zone, quoting
      // the last datagram it sent on this flow.
      std::optional<Unreachable> why = UnreachableFromErrno(err);
      if (why.has_value() && !flow->value.last_ip.empty()) {
        SendUnreachable(port, key.remote.ip, key.zone.ip, *why, flow->value.last_ip);
      }
      continue;
    }
    zone->flows.Touch(*flow);
    size_t len = static_cast<size_t>(n);
    if (len > recv_buf.size() || len > MaxUdpPayload(port, key.zone.ip.v6)) {
      ++dropped;  // no IP fragmentation towards zones
      continue;
    }
    SendUdpToZone(port, key.remote, key.zone, ByteSpan(recv_buf.data(), len));
  }
}

void UdpNat::Impl::SendUdpToZone(ZonePort& port, const Endpoint& src, const Endpoint& dst,
                                 ByteSpan payload) {
  size_t n = BuildUdp(frame_buf, ZoneL2(port), src, dst, payload);
  if (n != 0 && port.SendToZone(AsByteSpan(frame_buf.data(), n))) {
    ++to_zone;
  } else {
    ++dropped;
  }
}

void UdpNat::Impl::DropZone(const ZonePort& port) {
  auto it = zones.find(&port);
  if (it == zones.end()) return;
  for (const auto& [host_port, fwd] : it->second->forwards) forwarded_ports.erase(host_port);
  zones.erase(it);
}

UdpNat::UdpNat(EventLoop& loop, UdpNatOptions options)
    : impl_(std::make_unique<Impl>(loop, options)) {}
UdpNat::~UdpNat() = default;

void UdpNat::FromZone(ZonePort& port, const Frame& frame, std::optional<Endpoint> send_to) {
  impl_->FromZone(port, frame, std::move(send_to));
}

Status UdpNat::AddForward(ZonePort& port, uint16_t host_port, uint16_t zone_port) {
  return impl_->AddForward(port, host_port, zone_port);
}

void UdpNat::DropZone(const ZonePort& port) { impl_->DropZone(port); }

UdpNatStats UdpNat::stats() const {
  UdpNatStats s{.to_host = impl_->to_host, .to_zone = impl_->to_zone, .dropped = impl_->dropped};
  for (const auto& [port, zone] : impl_->zones) s.flows += zone->flows.size();
  return s;
}

}  // namespace krata::net
