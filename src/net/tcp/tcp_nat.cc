// TcpNat: the flow table, handshakes with the zone and the host, frame output and teardown.
// The established-state relay is in tcp_transfer.cc.

#include "net/tcp/tcp_nat.h"

#include <fcntl.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "net/tcp/seq.h"
#include "net/tcp/tcp_flow.h"

namespace krata::net {

using tcp::Flow;
using tcp::FlowKey;
using tcp::FlowState;
using tcp::kNever;
namespace tf = tcpflag;

namespace {

// Our MSS for the zone link: IP MTU minus the IPv4+TCP (40) or IPv6+TCP (60) headers.
uint16_t LinkMss(const ZonePort& port, bool v6) {
  int mss = static_cast<int>(port.gateway().mtu) - (v6 ? 60 : 40);
  return static_cast<uint16_t>(std::clamp(mss, 64, 65535));
}

// RFC 9293 3.7.1 / RFC 8200 5: the MSS to assume when the peer sent no MSS option.
uint16_t DefaultMss(bool v6) { return v6 ? 1220 : 536; }

ByteSpan AsByteSpan(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const std::byte*>(p), n};
}

}  // namespace

TcpNat::Impl::Impl(EventLoop& l, TcpNatOptions o)
    : loop(l), opt(o), out_(kMaxFrameBytes), scratch_(65536), rng_(std::random_device()()) {
  if (opt.zone_buffer_bytes < 4096) opt.zone_buffer_bytes = 4096;
  opt.min_rto =
      std::clamp(opt.min_rto, std::chrono::milliseconds(1), std::chrono::milliseconds(60000));
}

TcpNat::Impl::~Impl() {
  if (ack_timer_ != 0) loop.CancelTimer(ack_timer_);
  for (auto& [key, f] : flows) {
    if (f->fd_events != 0 || f->fd_registered) loop.Remove(f->fd.get());
    if (f->timer != 0) loop.CancelTimer(f->timer);
    if (f->fd) {
      linger l{1, 0};
      setsockopt(f->fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    }
  }
}

void TcpNat::Impl::FromZone(ZonePort& port, const Frame& frame,
                            std::optional<Endpoint> connect_to) {
  if (frame.l4 != L4::kTcp) return;
  const TcpInfo& t = frame.tcp;
  FlowKey key{&port, {frame.ip_src, t.src_port}, {frame.ip_dst, t.dst_port}};
  auto it = flows.find(key);
  bool pure_syn = (t.flags & (tf::kSyn | tf::kAck | tf::kRst | tf::kFin)) == tf::kSyn;
  if (it != flows.end() && it->second->state == FlowState::kTimeWait && pure_syn &&
      t.seq != it->second->irs) {
    // A new connection reusing the ports of one we are still lingering on.
    Destroy(*it->second, Close::kGraceful);
    it = flows.end();
  }
  if (it == flows.end()) {
    if (pure_syn && connect_to && flows.size() < opt.max_flows && !frame.ip_src.IsMulticast() &&
        !frame.ip_dst.IsMulticast()) {
      OpenFromZone(port, key, t, *connect_to);
    } else {
      if (pure_syn) ++st.refused;
      ReplyRst(port, key.remote, key.zone, t);
    }
  } else {
    OnSegment(*it->second, t);
  }
  Reap();
}

void TcpNat::Impl::OpenFromZone(ZonePort& port, const FlowKey& key, const TcpInfo& syn,
                                const Endpoint& connect_to) {
  bool v6 = key.zone.ip.v6;
  auto owned = std::make_unique<Flow>(key, port, opt.zone_buffer_bytes);
  Flow& f = *owned;
  f.irs = syn.seq;
  f.rcv_nxt = f.rcv_adv = syn.seq + 1;
  f.iss = static_cast<uint32_t>(rng_());
  f.snd_una = f.iss;
  f.snd_nxt = f.snd_max = f.iss;
  f.mss = std::min(LinkMss(port, v6), syn.mss.value_or(DefaultMss(v6)));
  if (syn.wscale) {
    // RFC 7323 2.3: shifts above 14 are treated as 14.
    f.wscale_ok = true;
    f.snd_wscale = std::min<uint8_t>(*syn.wscale, 14);
    f.rcv_wscale = 7;
  }
  f.snd_wnd = syn.window;  // never scaled in a SYN
  f.snd_wl1 = syn.seq;
  f.last_active = loop.Now();

  UniqueFd s(
      socket(connect_to.ip.v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s) {
    ++st.refused;
    ReplyRst(port, key.remote, key.zone, syn);
    return;
  }
  sockaddr_storage ss{};
  socklen_t len = ToSockaddr(connect_to, &ss);
  // Non-blocking: EINTR, like EINPROGRESS, leaves the connect running.
  int rc = connect(s.get(), reinterpret_cast<sockaddr*>(&ss), len);
  int err = rc == 0 ? 0 : errno;
  f.fd = std::move(s);
  flows.emplace(key, std::move(owned));
  if (rc == 0) {
    OnConnected(f);
  } else if (err == EINPROGRESS || err == EINTR) {
    f.state = FlowState::kConnecting;
    f.hard_at = f.last_active + opt.connect_timeout;
    UpdateInterest(f);
    ArmTimer(f);
  } else {
    ++st.refused;
    SendRstToZone(f);
    Destroy(f, Close::kGraceful);
  }
}

void TcpNat::Impl::OnConnected(Flow& f) {
  f.state = FlowState::kSynRcvd;
  f.hard_at = kNever;
  f.snd_nxt = f.snd_max = f.iss + 1;
  ++st.opened;
  UpdateWindow(f);
  Emit(f, tf::kSyn | tf::kAck, f.iss, {}, true);
  f.rtt_timing = true;
  f.rtt_seq = f.iss + 1;
  f.rtt_start = loop.Now();
  f.rto_at = f.rtt_start + f.rto;
  UpdateInterest(f);  // start reading: bytes wait in the ring until the zone's ACK
  ArmTimer(f);
}

void TcpNat::Impl::OnSynFromZone(Flow& f, const TcpInfo& t) {
  switch (f.state) {
    case FlowState::kConnecting:  // a retransmitted SYN: the connect is still running
    case FlowState::kSynSent:     // simultaneous open: not supported, the SYN is dropped
      return;
    case FlowState::kSynRcvd:
      if (t.seq == f.irs) {
        UpdateWindow(f);
        Emit(f, tf::kSyn | tf::kAck, f.iss, {}, true);
      }
      return;
    default:
      // RFC 5961 4.2: a SYN on a synchronized connection gets a challenge ACK.
      SendAck(f);
      return;
  }
}

void TcpNat::Impl::OnSynAck(Flow& f, const TcpInfo& t) {
  if ((t.flags & tf::kAck) == 0 || t.ack != f.iss + 1) {
    // Not an answer to our SYN (RFC 9293 3.10.7.3): reset it unless it is a reset.
    if ((t.flags & (tf::kAck | tf::kRst)) == tf::kAck) {
      ReplyRst(*f.port, f.key.remote, f.key.zone, t);
    }
    return;
  }
  if (t.flags & tf::kRst) {  // the zone refused the forwarded connection
    ++st.refused;
    Destroy(f, Close::kReset);
    return;
  }
  if ((t.flags & tf::kSyn) == 0) return;
  bool v6 = f.key.zone.ip.v6;
  f.irs = t.seq;
  f.rcv_nxt = f.rcv_adv = t.seq + 1;
  f.snd_una = f.iss + 1;
  if (t.wscale) {
    f.wscale_ok = true;
    f.snd_wscale = std::min<uint8_t>(*t.wscale, 14);
  } else {
    f.rcv_wscale = 0;
  }
  f.mss = std::min(LinkMss(*f.port, v6), t.mss.value_or(DefaultMss(v6)));
  f.snd_wnd = t.window;  // never scaled in a SYN-ACK
  f.snd_wl1 = t.seq;
  f.snd_wl2 = t.ack;
  f.state = FlowState::kEstablished;
  f.rto_at = kNever;
  f.backoffs = 0;
  if (f.rtt_timing) {
    f.rtt_timing = false;
    f.srtt = std::chrono::duration_cast<std::chrono::microseconds>(loop.Now() - f.rtt_start);
    f.rttvar = f.srtt / 2;
    f.rto = std::max<std::chrono::microseconds>(opt.min_rto, f.srtt + 4 * f.rttvar);
  }
  ++st.opened;
  UpdateWindow(f);
  SendAck(f);
  UpdateInterest(f);
  ArmTimer(f);
}

void TcpNat::Impl::Inbound(ZonePort& port, UniqueFd host_conn, const Endpoint& src,
                           const Endpoint& zone_ep) {
  FlowKey key{&port, zone_ep, src};
  if (!host_conn || flows.contains(key) || flows.size() >= opt.max_flows ||
      zone_ep.ip.v6 != src.ip.v6 ||
      fcntl(host_conn.get(), F_SETFL, fcntl(host_conn.get(), F_GETFL) | O_NONBLOCK) != 0) {
    ++st.refused;
    if (host_conn) {
      linger l{1, 0};
      setsockopt(host_conn.get(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    }
    return;
  }
  auto owned = std::make_unique<Flow>(key, port, opt.zone_buffer_bytes);
  Flow& f = *owned;
  f.fd = std::move(host_conn);
  f.state = FlowState::kSynSent;
  f.iss = static_cast<uint32_t>(rng_());
  f.snd_una = f.iss;
  f.snd_nxt = f.snd_max = f.iss + 1;
  f.rcv_wscale = 7;  // offered; dropped if the zone's SYN-ACK has no window scale
  f.mss = DefaultMss(zone_ep.ip.v6);
  f.last_active = loop.Now();
  flows.emplace(key, std::move(owned));
  UpdateWindow(f);
  Emit(f, tf::kSyn, f.iss, {}, true);
  f.rtt_timing = true;
  f.rtt_seq = f.iss + 1;
  f.rtt_start = f.last_active;
  f.rto_at = f.last_active + f.rto;
  ArmTimer(f);
  Reap();
}

void TcpNat::Impl::DropZone(const ZonePort& port) {
  std::vector<Flow*> doomed;
  for (auto& [key, f] : flows) {
    if (key.port == &port) doomed.push_back(f.get());
  }
  for (Flow* f : doomed) Destroy(*f, Close::kReset);
  Reap();
}

void TcpNat::Impl::ReplyRst(ZonePort& port, const Endpoint& from, const Endpoint& to,
                            const TcpInfo& t) {
  if (t.flags & tf::kRst) return;
  // RFC 9293 3.10.7.1: take the sequence number from the ACK, else acknowledge the segment.
  TcpSegment seg;
  if (t.flags & tf::kAck) {
    seg.seq = t.ack;
    seg.flags = tf::kRst;
  } else {
    seg.ack = t.seq + static_cast<uint32_t>(t.payload.size()) + ((t.flags & tf::kSyn) ? 1 : 0) +
              ((t.flags & tf::kFin) ? 1 : 0);
    seg.flags = tf::kRst | tf::kAck;
  }
  L2Addrs l2{port.gateway().mac, port.zone().mac};
  size_t n = BuildTcp(out_, l2, from, to, seg, {});
  if (n != 0) port.SendToZone(AsByteSpan(out_.data(), n));
}

void TcpNat::Impl::SendRstToZone(Flow& f) {
  if (f.state == FlowState::kSynSent || f.state == FlowState::kTimeWait) return;
  Emit(f, tf::kRst | tf::kAck, f.snd_nxt, {});
}

bool TcpNat::Impl::Emit(Flow& f, uint8_t flags, uint32_t seq, ByteSpan payload, bool syn_options) {
  if (f.dead) return false;
  TcpSegment seg;
  seg.seq = seq;
  seg.flags = flags;
  if (flags & tf::kAck) seg.ack = f.rcv_nxt;
  uint8_t shift = f.rcv_wscale;
  if (flags & tf::kSyn) {
    // RFC 7323 2.2: the window of a SYN is never scaled.
    shift = 0;
    seg.window = static_cast<uint16_t>(std::min<uint32_t>(f.wnd_bytes, 65535));
  } else {
    seg.window = f.wnd_field;
  }
  if (syn_options) {
    seg.mss = f.state == FlowState::kSynSent ? LinkMss(*f.port, f.key.zone.ip.v6) : f.mss;
    if (f.state == FlowState::kSynSent || f.wscale_ok) seg.wscale = f.rcv_wscale;
  }
  L2Addrs l2{f.port->gateway().mac, f.port->zone().mac};
  size_t n = BuildTcp(out_, l2, f.key.remote, f.key.zone, seg, payload);
  if (n == 0 || !f.port->SendToZone(AsByteSpan(out_.data(), n))) return false;
  if (flags & tf::kAck) {
    f.ack_pending = false;
    f.rcv_adv = tcp::SeqMax(f.rcv_adv, f.rcv_nxt + (static_cast<uint32_t>(seg.window) << shift));
  }
  return true;
}

void TcpNat::Impl::UpdateWindow(Flow& f, bool arm) {
  // The window is the host socket's free send buffer (SO_MEMINFO: the limit and the queued
  // bytes in the kernel's own accounting, one call), so what the zone sends fits the socket.
  uint32_t free_bytes = 65535;
  uint32_t mem[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof(mem);
  if (f.fd && getsockopt(f.fd.get(), SOL_SOCKET, SO_MEMINFO, mem, &len) == 0 &&
      len > SK_MEMINFO_WMEM_QUEUED * sizeof(uint32_t)) {
    uint32_t sndbuf = mem[SK_MEMINFO_SNDBUF], queued = mem[SK_MEMINFO_WMEM_QUEUED];
    free_bytes = sndbuf > queued ? sndbuf - queued : 0;
  }
  free_bytes -= std::min<uint32_t>(free_bytes, static_cast<uint32_t>(f.PendingSize()));
  if (f.zone_fin) free_bytes = 0;
  f.wnd_bytes = free_bytes;
  if (arm && free_bytes < f.mss && !f.zone_fin && !f.write_blocked && f.fd) {
    // Closing the window: announce it again once the socket drains (EPOLLOUT).
    f.write_blocked = true;
    UpdateInterest(f);
  }
  uint8_t ws = f.rcv_wscale;
  // RFC 9293 3.8.6: never move the right edge we advertised to the left.
  uint32_t cur = tcp::SeqGt(f.rcv_adv, f.rcv_nxt) ? f.rcv_adv - f.rcv_nxt : 0;
  uint32_t field = std::min<uint32_t>(free_bytes >> ws, 65535);
  if ((field << ws) < cur) {
    field = std::min<uint32_t>((cur + (1u << ws) - 1) >> ws, 65535);
  }
  f.wnd_field = static_cast<uint16_t>(field);
}

void TcpNat::Impl::Watch(Flow& f, uint32_t events) {
  if (f.dead || !f.fd) return;
  if (f.fd_registered) {
    if (events == f.fd_events) return;
    if (loop.Modify(f.fd.get(), events).has_value()) {
      f.fd_events = events;
      return;
    }
    loop.Remove(f.fd.get());
    f.fd_registered = false;
  }
  if (events == 0) return;
  Flow* p = &f;
  auto added = loop.Add(f.fd.get(), events, [this, p](uint32_t ev) {
    OnHostEvent(*p, ev);
    Reap();
  });
  if (!added.has_value()) {
    HostFailed(f, added.error().errno_value());
    return;
  }
  f.fd_registered = true;
  f.fd_events = events;
}

void TcpNat::Impl::Destroy(Flow& f, Close how) {
  if (f.dead) return;
  f.dead = true;
  if (f.fd_registered) loop.Remove(f.fd.get());
  f.fd_registered = false;
  if (how == Close::kReset && f.fd) {
    // SO_LINGER {1, 0}: close(2) sends RST instead of FIN.
    linger l{1, 0};
    setsockopt(f.fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  }
  f.fd.reset();
  if (f.timer != 0) loop.CancelTimer(f.timer);
  f.timer = 0;
  if (f.in_ack_list) std::erase(ack_list_, &f);
  f.in_ack_list = false;
  auto it = flows.find(f.key);
  if (it == flows.end()) return;
  dead_.push_back(std::move(it->second));
  flows.erase(it);
}

TcpNat::TcpNat(EventLoop& loop, TcpNatOptions options)
    : impl_(std::make_unique<Impl>(loop, options)) {}
TcpNat::~TcpNat() = default;

void TcpNat::FromZone(ZonePort& port, const Frame& frame, std::optional<Endpoint> connect_to) {
  impl_->FromZone(port, frame, connect_to);
}

void TcpNat::Inbound(ZonePort& port, UniqueFd host_conn, const Endpoint& src,
                     const Endpoint& zone_ep) {
  impl_->Inbound(port, std::move(host_conn), src, zone_ep);
}

void TcpNat::DropZone(const ZonePort& port) { impl_->DropZone(port); }

TcpNatStats TcpNat::stats() const {
  TcpNatStats s = impl_->st;
  s.flows = impl_->flows.size();
  return s;
}

}  // namespace krata::net
