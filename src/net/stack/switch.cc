// Switch lifecycle: ports (zones and the host TAP), their registration in the event loop,
// and port forwards.

#include "net/stack/switch.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/eintr.h"
#include "base/log.h"
#include "net/netlink/rtnl.h"
#include "net/stack/switch_impl.h"

namespace krata::net {

const GatewayConfig& SwitchPort::gateway() const { return sw_.options.gateway; }

bool SwitchPort::SendToZone(ByteSpan frame) {
  if (frame.size() > kTxSlot) {
    Flush();
    bool sent = link_->Send(frame);
    ++(sent ? sw_.stats.frames_out : sw_.stats.send_dropped);
    return sent;
  }
  if (tx_count_ == 0) sw_.tx_pending.push_back(this);
  std::byte* slot = reinterpret_cast<std::byte*>(tx_.data()) + tx_count_ * kTxSlot;
  std::memcpy(slot, frame.data(), frame.size());
  tx_frames_[tx_count_++] = ByteSpan(slot, frame.size());
  if (tx_count_ == kTxBatch) Flush();
  return true;
}

void SwitchPort::Flush() {
  if (tx_count_ == 0) return;
  size_t sent = link_->SendBatch(std::span(tx_frames_).first(tx_count_));
  sw_.stats.frames_out += sent;
  sw_.stats.send_dropped += tx_count_ - sent;
  tx_count_ = 0;
}

void SwitchImpl::FlushAll() {
  // A flushed port may queue again only on the next round: nothing here sends frames.
  for (SwitchPort* p : tx_pending) p->Flush();
  tx_pending.clear();
}

SwitchImpl::SwitchImpl(EventLoop& l, SwitchOptions o)
    : loop(l),
      options(std::move(o)),
      tcp(l, options.tcp),
      udp(l, options.udp),
      icmp(l, options.icmp),
      rx(kBatch * kMaxFrameBytes) {
  for (size_t i = 0; i < kBatch; ++i) {
    rx_bufs[i] = std::span<uint8_t>(rx).subspan(i * kMaxFrameBytes, kMaxFrameBytes);
  }
  loop.SetAfterDispatch([this] { FlushAll(); });
}

SwitchImpl::~SwitchImpl() {
  loop.SetAfterDispatch(nullptr);
  // The NATs hold references to the ports: drop their flows before the ports go.
  for (auto& [name, port] : zones) Unplug(*port);
  zones.clear();
  if (host) Unplug(*host);
}

Status SwitchImpl::Plug(SwitchPort& port, const std::vector<PortForward>& forwards) {
  // Forwards first: a taken host port fails the attach before the zone sees traffic.
  for (const PortForward& fw : forwards) {
    if (fw.udp) {
      TRY(udp.AddForward(port, fw.host_port, fw.zone_port));
      continue;
    }
    if (!port.zone().ip4.IsUnspecified()) TRY(ListenTcp(port, fw, false));
    if (!port.zone().ip6.IsUnspecified()) TRY(ListenTcp(port, fw, true));
  }
  TRY(loop.Add(port.link().fd(), EPOLLIN, [this, &port](uint32_t) { OnReadable(port); }));
  by_mac[port.zone().mac] = &port;
  return {};
}

void SwitchImpl::Unplug(SwitchPort& port) {
  loop.Remove(port.link().fd());
  for (UniqueFd& l : port.listeners()) loop.Remove(l.get());
  port.listeners().clear();
  tcp.DropZone(port);
  udp.DropZone(port);
  icmp.DropZone(port);
  port.Flush();
  std::erase(tx_pending, &port);
  auto it = by_mac.find(port.zone().mac);
  if (it != by_mac.end() && it->second == &port) by_mac.erase(it);
}

Status SwitchImpl::ListenTcp(SwitchPort& port, const PortForward& fw, bool v6) {
  std::string what = "port forward: host TCP port " + std::to_string(fw.host_port) +
                     (v6 ? " (IPv6)" : " (IPv4)") + " for zone " + port.zone().name;
  int raw = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (raw < 0) return Error::FromErrno("socket", errno, what);
  UniqueFd fd(raw);
  int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return Error::FromErrno("setsockopt(SO_REUSEADDR)", errno, what);
  }
  if (v6 && ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) {
    return Error::FromErrno("setsockopt(IPV6_V6ONLY)", errno, what);
  }
  Endpoint any{v6 ? IpAddr{.v6 = true} : IpAddr{}, fw.host_port};
  sockaddr_storage ss{};
  socklen_t len = ToSockaddr(any, &ss);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    int err = errno;
    if (err == EADDRINUSE) return Error::FromErrno("bind", err, what + " is already in use");
    return Error::FromErrno("bind", err, what);
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) return Error::FromErrno("listen", errno, what);
  int lfd = fd.get();
  TRY(loop.Add(lfd, EPOLLIN,
               [this, &port, lfd, fw, v6](uint32_t) { AcceptAll(port, lfd, fw, v6); }));
  port.listeners().push_back(std::move(fd));
  return {};
}

void SwitchImpl::AcceptAll(SwitchPort& port, int listen_fd, const PortForward& fw, bool v6) {
  for (int i = 0; i < 64; ++i) {  // bounded, like frame reads
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    int c = RetryEintr([&] {
      return ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    });
    if (c < 0) {
      int err = errno;
      if (err == ECONNABORTED) continue;  // the peer gave up while queued
      if (err != EAGAIN) {
        spdlog::warn("{}: accept on host port {}: {}", port.zone().name, fw.host_port,
                     std::strerror(err));
      }
      return;
    }
    UniqueFd conn(c);
    // The zone sees the connection come from the gateway; keeping the host peer's port
    // keeps concurrent connections apart.
    Result<Endpoint> from = FromSockaddr(reinterpret_cast<const sockaddr*>(&peer), len);
    uint16_t src_port = from.has_value() ? from->port : 0;
    const GatewayConfig& gw = options.gateway;
    const ZoneAddrs& z = port.zone();
    tcp.Inbound(port, std::move(conn), Endpoint{v6 ? gw.ip6 : gw.ip4, src_port},
                Endpoint{v6 ? z.ip6 : z.ip4, fw.zone_port});
  }
}

Result<std::unique_ptr<Switch>> Switch::Create(EventLoop& loop, SwitchOptions options) {
  auto impl = std::make_unique<SwitchImpl>(loop, std::move(options));
  if (impl->options.host_tap.has_value()) {
    const HostTap& ht = *impl->options.host_tap;
    const GatewayConfig& gw = impl->options.gateway;
    std::unique_ptr<Link> tap = TRY(OpenTapLink(ht.ifname, ht.mac, gw.mtu));
    if (!ht.ip4.IsUnspecified()) TRY(rtnl::AddAddress(ht.ifname, ht.ip4, gw.subnet4.prefix));
    if (!ht.ip6.IsUnspecified()) TRY(rtnl::AddAddress(ht.ifname, ht.ip6, gw.subnet6.prefix));
    ZoneAddrs host{.name = ht.ifname, .mac = ht.mac, .ip4 = ht.ip4, .ip6 = ht.ip6};
    impl->host = std::make_unique<SwitchPort>(*impl, std::move(host), std::move(tap), true);
    TRY(impl->Plug(*impl->host, {}));
  }
  return std::unique_ptr<Switch>(new Switch(std::move(impl)));
}

Switch::Switch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Switch::~Switch() = default;

Status Switch::AttachZone(const ZoneAddrs& zone, std::unique_ptr<Link> link,
                          const std::vector<PortForward>& forwards) {
  SwitchImpl& s = *impl_;
  std::string ctx = "attach zone " + zone.name;
  if (!link) return Error::Invalid("AttachZone", "no link").With(ctx);
  if (s.zones.contains(zone.name))
    return Error::Invalid("AttachZone", "already attached").With(ctx);
  if (zone.mac == s.options.gateway.mac || s.by_mac.contains(zone.mac)) {
    return Error::Invalid("AttachZone", "MAC " + ToString(zone.mac) + " is taken").With(ctx);
  }
  auto port = std::make_unique<SwitchPort>(s, zone, std::move(link), false);
  if (Status st = s.Plug(*port, forwards); !st.has_value()) {
    s.Unplug(*port);
    return std::move(st.error()).With(ctx);
  }
  s.zones.emplace(zone.name, std::move(port));
  return {};
}

void Switch::DetachZone(std::string_view name) {
  auto it = impl_->zones.find(name);
  if (it == impl_->zones.end()) return;
  impl_->Unplug(*it->second);
  impl_->zones.erase(it);
}

bool Switch::HasZone(std::string_view name) const { return impl_->zones.contains(name); }

SwitchStats Switch::stats() const {
  for (auto& [name, port] : impl_->zones) {
    impl_->stats.kernel_dropped += port->link().TakeKernelDrops();
  }
  if (impl_->host) impl_->stats.kernel_dropped += impl_->host->link().TakeKernelDrops();
  return impl_->stats;
}

TcpNatStats Switch::tcp_stats() const { return impl_->tcp.stats(); }

}  // namespace krata::net
