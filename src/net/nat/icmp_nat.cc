// ICMP echo from zones. One host socket per (zone, zone address, destination, zone echo id):
// a ping socket, where the kernel allocates the echo id and routes replies by it, or a raw
// socket, where we pick an id unique among our raw flows and filter replies by it.

#include "net/nat/icmp_nat.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/eintr.h"
#include "net/nat/echo_reply.h"
#include "net/nat/echo_socket.h"
#include "net/nat/lru_table.h"
#include "net/nat/nat_socket.h"
#include "net/packet/build.h"

namespace krata::net {

namespace {
constexpr uint8_t kIcmpEchoRequest = 8;      // RFC 792
constexpr uint8_t kIcmpv6EchoRequest = 128;  // RFC 4443 4.1
constexpr int kReadBudget = 64;              // replies per wakeup

struct EchoKey {
  IpAddr zone_ip, dst;
  uint16_t zone_id = 0;
  bool operator==(const EchoKey&) const = default;
};
struct EchoKeyHash {
  size_t operator()(const EchoKey& k) const {
    EndpointHash h;
    return h(Endpoint{k.zone_ip, k.zone_id}) * 0x9e3779b97f4a7c15ULL ^ h(Endpoint{k.dst, 0});
  }
};
struct EchoFlow {
  LoopFd sock;
  uint16_t wire_id = 0;  // raw sockets: the id our requests carry
};
using EchoTable = LruTable<EchoKey, EchoFlow, EchoKeyHash>;
}  // namespace

struct IcmpNat::Impl {
  Impl(EventLoop& l, IcmpNatOptions o) : loop(l), options(o), ping(PingSocketsAllowed()) {}

  struct Zone {
    Zone(Impl& impl, ZonePort& p)
        : port(&p),
          flows(impl.loop, impl.options.idle_timeout, impl.options.max_flows,
                [&impl](EchoTable::Entry& e) { impl.raw_ids.erase(e.value.wire_id); }) {}
    ZonePort* port;
    EchoTable flows;
  };

  void FromZone(ZonePort& port, const Frame& frame);
  EchoTable::Entry* OpenFlow(Zone& zone, const EchoKey& key, const Frame& frame);
  void OnReadable(Zone* zone, const EchoKey& key);
  uint16_t AllocRawId();

  EventLoop& loop;
  IcmpNatOptions options;
  const bool ping;
  uint64_t dropped = 0;
  std::unordered_set<uint16_t> raw_ids;  // in use by raw flows; outlives `zones`
  uint16_t next_raw_id = 1;
  std::unordered_map<const ZonePort*, std::unique_ptr<Zone>> zones;
  std::vector<std::byte> recv_buf = std::vector<std::byte>(65536);
  std::vector<uint8_t> frame_buf = std::vector<uint8_t>(kMaxFrameBytes);
};

void IcmpNat::Impl::FromZone(ZonePort& port, const Frame& frame) {
  bool v6 = frame.l4 == L4::kIcmpv6;
  bool is_echo = (frame.l4 == L4::kIcmp && frame.l3 == L3::kIpv4) || (v6 && frame.l3 == L3::kIpv6);
  is_echo = is_echo && frame.icmp.type == (v6 ? kIcmpv6EchoRequest : kIcmpEchoRequest) &&
            frame.icmp.code == 0 && frame.icmp.body.size() >= 4 && !frame.ip_dst.IsMulticast();
  if (!is_echo) {
    ++dropped;  // only echo requests are translated
    return;
  }
  auto it = zones.find(&port);
  if (it == zones.end()) it = zones.emplace(&port, std::make_unique<Zone>(*this, port)).first;
  Zone& zone = *it->second;

  EchoKey key{.zone_ip = frame.ip_src, .dst = frame.ip_dst, .zone_id = frame.icmp.id};
  EchoTable::Entry* flow = zone.flows.Find(key);
  if (flow == nullptr) {
    flow = OpenFlow(zone, key, frame);
    if (flow == nullptr) return;
  }
  zone.flows.Touch(*flow);
  ByteSpan data = frame.icmp.body.subspan(4);  // after id and seq
  Status sent =
      SendEchoRequest(flow->value.sock.get(), v6, flow->value.wire_id, frame.icmp.seq, data);
  if (!sent.has_value()) {
    ++dropped;
    if (std::optional<Unreachable> why = UnreachableFromErrno(sent.error().errno_value())) {
      SendUnreachable(port, frame.ip_dst, frame.ip_src, *why, frame.ip_packet);
    }
  }
}

EchoTable::Entry* IcmpNat::Impl::OpenFlow(Zone& zone, const EchoKey& key, const Frame& frame) {
  Result<UniqueFd> fd = OpenEchoSocket(key.dst, ping);
  if (!fd.has_value()) {
    ++dropped;
    if (std::optional<Unreachable> why = UnreachableFromErrno(fd.error().errno_value());
        why.has_value() && *why != Unreachable::kAdmin) {
      SendUnreachable(*zone.port, frame.ip_dst, frame.ip_src, *why, frame.ip_packet);
    } else {
      spdlog::warn("icmp nat {}: {}", zone.port->zone().name, fd.error().ToString());
    }
    return nullptr;
  }
  int raw = fd->get();
  if (zone.flows.full()) zone.flows.EvictOldest();  // frees its raw id before we pick one
  uint16_t wire_id = ping ? 0 : AllocRawId();
  EchoTable::Entry& flow =
      zone.flows.Insert(key, EchoFlow{.sock = LoopFd(loop, std::move(*fd)), .wire_id = wire_id});
  Status watched = loop.Add(raw, EPOLLIN, [this, z = &zone, key](uint32_t) { OnReadable(z, key); });
  if (!watched.has_value()) {
    spdlog::warn("icmp nat {}: {}", zone.port->zone().name, watched.error().ToString());
    zone.flows.Erase(key);
    ++dropped;
    return nullptr;
  }
  return &flow;
}

uint16_t IcmpNat::Impl::AllocRawId() {
  // 65535 ids for all raw flows; beyond that ids are shared and replies may be duplicated
  // to flows with the same destination, which the zones tolerate as ping does.
  for (int tries = 0; tries < 65536; ++tries) {
    uint16_t id = next_raw_id++;
    if (id != 0 && !raw_ids.contains(id)) {
      raw_ids.insert(id);
      return id;
    }
  }
  return next_raw_id++;
}

void IcmpNat::Impl::OnReadable(Zone* zone, const EchoKey& key) {
  ZonePort& port = *zone->port;
  bool v6 = key.dst.v6;
  for (int i = 0; i < kReadBudget; ++i) {
    EchoTable::Entry* flow = zone->flows.Find(key);
    if (flow == nullptr) return;
    ssize_t n = RetryEintr([&] {
      return ::recv(flow->value.sock.get(), recv_buf.data(), recv_buf.size(), MSG_DONTWAIT);
    });
    if (n < 0) {
      if (errno == EAGAIN) return;  // == EWOULDBLOCK on Linux
      continue;  // an ICMP error for an earlier request (now cleared); ping reports it as loss
    }
    std::optional<EchoReply> reply =
        ParseEchoReply(ByteSpan(recv_buf.data(), static_cast<size_t>(n)), v6, !ping && !v6);
    // Ping sockets only see their own replies; raw ones see every echo reply from dst.
    if (!reply.has_value() || (!ping && reply->id != flow->value.wire_id)) continue;
    zone->flows.Touch(*flow);
    if (reply->data.size() > MaxEchoData(port, v6)) {
      ++dropped;
      continue;
    }
    size_t len = BuildIcmpEcho(frame_buf, ZoneL2(port), key.dst, key.zone_ip, /*reply=*/true,
                               key.zone_id, reply->seq, reply->data);
    if (len == 0 || !port.SendToZone(AsByteSpan(frame_buf.data(), len))) ++dropped;
  }
}

IcmpNat::IcmpNat(EventLoop& loop, IcmpNatOptions options)
    : impl_(std::make_unique<Impl>(loop, options)) {}
IcmpNat::~IcmpNat() = default;

void IcmpNat::FromZone(ZonePort& port, const Frame& frame) { impl_->FromZone(port, frame); }

void IcmpNat::DropZone(const ZonePort& port) { impl_->zones.erase(&port); }

size_t IcmpNat::flow_count() const {
  size_t n = 0;
  for (const auto& [port, zone] : impl_->zones) n += zone->flows.size();
  return n;
}

bool IcmpNat::using_ping_sockets() const { return impl_->ping; }

uint64_t IcmpNat::dropped() const { return impl_->dropped; }

}  // namespace krata::net
