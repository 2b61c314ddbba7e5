// The established-state relay of TcpNat: zone segments (RFC 9293 3.10.7.4, simplified; the
// payload goes on in tcp_receive.cc), host socket events, sending within the zone's window,
// retransmission (RFC 6298 timer, RFC 5681/6582 fast retransmit with NewReno partial ACKs),
// zero-window probes and the per-flow timer.

#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "base/eintr.h"
#include "net/tcp/seq.h"
#include "net/tcp/tcp_flow.h"

namespace krata::net {

using tcp::Flow;
using tcp::FlowState;
using tcp::kNever;
using tcp::SeqGeq;
using tcp::SeqGt;
using tcp::SeqInRange;
using tcp::SeqLeq;
using tcp::SeqLt;
using tcp::SeqMax;
using tcp::TimePoint;
namespace tf = tcpflag;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {
constexpr int kMaxBackoffs = 8;     // established: then both sides are reset
constexpr int kMaxSynBackoffs = 3;  // SYN / SYN-ACK retransmissions
constexpr microseconds kMaxRto = std::chrono::seconds(60);
constexpr milliseconds kTimeWait{2000};
constexpr milliseconds kSendRetry{1};  // the zone link refused a frame (ring full)
}  // namespace

std::chrono::milliseconds TcpNat::Impl::IdleLimit(const Flow& f) const {
  return (f.zone_fin || f.host_eof) ? opt.fin_timeout : opt.idle_timeout;
}

void TcpNat::Impl::OnSegment(Flow& f, const TcpInfo& t) {
  f.last_active = loop.Now();
  switch (f.state) {
    case FlowState::kConnecting:
      // Only an abort matters before our SYN-ACK; retransmitted SYNs wait for the connect.
      if ((t.flags & tf::kRst) && t.seq == f.rcv_nxt) {
        ++st.reset_by_zone;
        Destroy(f, Close::kReset);
      }
      return;
    case FlowState::kSynSent:
      OnSynAck(f, t);
      return;
    case FlowState::kTimeWait:
      if (t.flags & tf::kRst) {
        Destroy(f, Close::kGraceful);
      } else if (t.flags & tf::kFin) {
        SendAck(f);  // our ACK of its FIN was lost
      }
      return;
    default:
      break;
  }
  uint32_t wnd = SeqGt(f.rcv_adv, f.rcv_nxt) ? f.rcv_adv - f.rcv_nxt : 0;
  if (t.flags & tf::kRst) {
    // RFC 5961 3.2 (simplified): accept a reset anywhere in the window, ignore others.
    if (t.seq == f.rcv_nxt || SeqInRange(t.seq, f.rcv_nxt, f.rcv_nxt + wnd)) {
      ++st.reset_by_zone;
      Destroy(f, Close::kReset);
    }
    return;
  }
  if (t.flags & tf::kSyn) {
    OnSynFromZone(f, t);
    return;
  }
  if ((t.flags & tf::kAck) == 0) return;

  // RFC 9293 3.10.7.4, first check: is the segment in the receive window at all?
  uint32_t len = static_cast<uint32_t>(t.payload.size()) + ((t.flags & tf::kFin) ? 1 : 0);
  bool acceptable;
  if (len == 0) {
    acceptable = wnd == 0 ? t.seq == f.rcv_nxt : SeqInRange(t.seq, f.rcv_nxt, f.rcv_nxt + wnd);
  } else {
    acceptable = wnd > 0 && (SeqInRange(t.seq, f.rcv_nxt, f.rcv_nxt + wnd) ||
                             SeqInRange(t.seq + len - 1, f.rcv_nxt, f.rcv_nxt + wnd));
  }
  // Zero window: still take the ACK of a segment at rcv_nxt (RFC 9293 3.10.7.4).
  bool ack_only = !acceptable && wnd == 0 && t.seq == f.rcv_nxt;
  if (!acceptable && !ack_only) {
    // Also the answer to the zone's zero-window probes: carry the current window.
    UpdateWindow(f);
    SendAck(f);
    return;
  }

  if (f.state == FlowState::kSynRcvd) {
    if (t.ack != f.iss + 1) {
      TcpInfo bad = t;
      bad.flags = tf::kAck;
      ReplyRst(*f.port, f.key.remote, f.key.zone, bad);
      return;
    }
    f.state = FlowState::kEstablished;
    f.snd_una = f.iss + 1;
    f.snd_wnd = static_cast<uint32_t>(t.window) << f.snd_wscale;
    f.snd_wl1 = t.seq;
    f.snd_wl2 = t.ack;
    f.rto_at = kNever;
    f.backoffs = 0;
    if (f.rtt_timing) {
      f.rtt_timing = false;
      SampleRtt(f, std::chrono::duration_cast<microseconds>(loop.Now() - f.rtt_start));
    }
  }
  ProcessAck(f, t);
  if (f.dead) return;
  if (ack_only) {
    SendAck(f);
  } else {
    WriteToHost(f, t);
    if (f.dead) return;
  }
  TrySend(f);
  MaybeFinish(f);
  ArmTimer(f);
}

void TcpNat::Impl::SampleRtt(Flow& f, microseconds r) {
  // RFC 6298 2.2 / 2.3, with alpha = 1/8 and beta = 1/4.
  if (f.srtt.count() == 0) {
    f.srtt = r;
    f.rttvar = r / 2;
  } else {
    microseconds delta = f.srtt > r ? f.srtt - r : r - f.srtt;
    f.rttvar = (3 * f.rttvar + delta) / 4;
    f.srtt = (7 * f.srtt + r) / 8;
  }
  f.rto = std::clamp<microseconds>(
      f.srtt + std::max<microseconds>(microseconds(1000), 4 * f.rttvar), opt.min_rto, kMaxRto);
}

void TcpNat::Impl::ProcessAck(Flow& f, const TcpInfo& t) {
  uint32_t ack = t.ack;
  if (SeqGt(ack, f.snd_max)) return;  // acknowledges nothing we sent
  uint32_t win = static_cast<uint32_t>(t.window) << f.snd_wscale;
  bool window_changed = false;
  // RFC 9293 3.10.7.4: update the send window only from segments not older than the last.
  if (SeqLt(f.snd_wl1, t.seq) || (f.snd_wl1 == t.seq && SeqLeq(f.snd_wl2, ack))) {
    window_changed = win != f.snd_wnd;
    f.snd_wnd = win;
    f.snd_wl1 = t.seq;
    f.snd_wl2 = ack;
  }
  if (SeqGt(ack, f.snd_una)) {
    uint32_t acked = ack - f.snd_una;
    size_t was_full = f.ring.free() == 0;
    f.ring.Consume(std::min<size_t>(acked, f.ring.size()));
    f.snd_una = ack;
    if (SeqLt(f.snd_nxt, ack)) f.snd_nxt = ack;
    if (f.rtt_timing && SeqGeq(ack, f.rtt_seq)) {
      f.rtt_timing = false;
      SampleRtt(f, std::chrono::duration_cast<microseconds>(loop.Now() - f.rtt_start));
    } else if (f.backoffs != 0 && f.srtt.count() != 0) {
      // New data acknowledged after a backoff: leave the backed-off RTO (RFC 6298 5.7).
      f.rto = std::clamp<microseconds>(f.srtt + 4 * f.rttvar, opt.min_rto, kMaxRto);
    }
    f.backoffs = 0;
    f.dupacks = 0;
    if (f.cwnd != UINT32_MAX) {
      // Slow start after a timeout, back to "unlimited" once past the zone's window.
      f.cwnd += acked;
      if (f.cwnd >= f.snd_wnd || f.cwnd >= (1u << 30)) f.cwnd = UINT32_MAX;
    }
    if (f.in_recovery) {
      if (SeqGeq(ack, f.recover)) {
        f.in_recovery = false;
      } else {
        RetransmitOne(f);  // NewReno partial ACK (RFC 6582 3.2)
      }
    }
    f.rto_at = f.snd_una == f.snd_max ? kNever : loop.Now() + f.rto;
    if (was_full) UpdateInterest(f);
  } else if (ack == f.snd_una && t.payload.empty() && (t.flags & tf::kFin) == 0 &&
             !window_changed && f.snd_max != f.snd_una) {
    // RFC 5681 3.2: the third duplicate ACK retransmits the first unacknowledged segment.
    if (++f.dupacks == 3 && !f.in_recovery) {
      f.in_recovery = true;
      f.recover = f.snd_max;
      RetransmitOne(f);
    }
  }
}

void TcpNat::Impl::HostFailed(Flow& f, int err) {
  if (f.state == FlowState::kConnecting && err != 0) ++st.refused;
  SendRstToZone(f);
  Destroy(f, Close::kGraceful);
}

void TcpNat::Impl::OnHostEvent(Flow& f, uint32_t events) {
  if (f.dead) return;
  if (f.state == FlowState::kConnecting) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(f.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == 0 && (events & (EPOLLERR | EPOLLHUP))) err = ECONNREFUSED;
    if (err != 0) {
      HostFailed(f, err);
    } else {
      OnConnected(f);
    }
    return;
  }
  if (events & EPOLLERR) {
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(f.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      HostFailed(f, err);
      return;
    }
  }
  if ((events & (EPOLLOUT | EPOLLHUP)) && f.write_blocked) {
    if (f.PendingSize() > 0) {
      FlushPending(f);
      if (f.dead) return;
    } else {
      f.write_blocked = false;
      UpdateWindow(f, false);  // no re-arm here: EPOLLOUT may stay asserted while space is short
      SendAck(f);              // window update
    }
  }
  bool reading = (f.fd_events & EPOLLIN) != 0;
  if (reading && (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR))) {
    ReadFromHost(f);
    if (f.dead) return;
  } else if ((events & (EPOLLHUP | EPOLLERR)) && !f.write_blocked) {
    // Nothing to read or write now, and a hung-up socket stays readable: stop watching it
    // until there is room in the ring again.
    loop.Remove(f.fd.get());
    f.fd_registered = false;
    f.fd_events = 0;
  }
  UpdateInterest(f);
  TrySend(f);
  MaybeFinish(f);
  ArmTimer(f);
}

void TcpNat::Impl::ReadFromHost(Flow& f) {
  if (f.host_eof || f.ring.free() == 0) return;
  ssize_t r = f.ring.ReadFrom(f.fd.get());
  if (r == 0) {
    f.host_eof = true;
    // The ring starts at snd_una, or after our SYN while the zone has not acknowledged it.
    uint32_t start = f.state == FlowState::kEstablished ? f.snd_una : f.iss + 1;
    f.fin_seq = start + static_cast<uint32_t>(f.ring.size());
  } else if (r < 0 && errno != EAGAIN) {
    HostFailed(f, errno);
    return;
  }
  if (r != 0) f.last_active = loop.Now();
}

void TcpNat::Impl::UpdateInterest(Flow& f) {
  if (f.dead || !f.fd) return;
  uint32_t ev = 0;
  if (f.state == FlowState::kConnecting) {
    ev = EPOLLOUT;
  } else if (f.state == FlowState::kSynRcvd || f.state == FlowState::kEstablished) {
    if (!f.host_eof && f.ring.free() > 0) ev |= EPOLLIN | EPOLLRDHUP;
    if (f.write_blocked) ev |= EPOLLOUT;
  }
  if (!f.fd_registered && ev == 0) return;
  Watch(f, ev);
}

bool TcpNat::Impl::SendSegment(Flow& f, uint32_t seq, size_t len) {
  size_t off = seq - f.snd_una;
  ByteSpan p = f.ring.View(off, len, scratch_);
  uint8_t flags = tf::kAck;
  if (off + len == f.ring.size()) flags |= tf::kPsh;
  bool fresh = SeqGeq(seq, f.snd_max);
  if (!Emit(f, flags, seq, p)) return false;
  if (fresh && !f.rtt_timing) {
    f.rtt_timing = true;
    f.rtt_seq = seq + static_cast<uint32_t>(len);
    f.rtt_start = loop.Now();
  }
  return true;
}

void TcpNat::Impl::TrySend(Flow& f) {
  if (f.dead || f.state != FlowState::kEstablished) return;
  bool window_read = false;
  uint32_t wnd = std::min(f.snd_wnd, f.cwnd);
  while (true) {
    uint32_t in_flight = f.snd_nxt - f.snd_una;
    if (f.host_eof && SeqGt(f.snd_nxt, f.fin_seq)) break;  // our FIN is out
    size_t avail = f.ring.size() - in_flight;
    if (avail == 0) {
      if (f.host_eof && f.snd_nxt == f.fin_seq) {
        if (!window_read) UpdateWindow(f);
        if (Emit(f, tf::kFin | tf::kAck, f.snd_nxt, {})) {
          f.snd_nxt += 1;
          f.snd_max = SeqMax(f.snd_max, f.snd_nxt);
        } else {
          f.retry_at = loop.Now() + kSendRetry;
        }
      }
      break;
    }
    uint32_t room = wnd > in_flight ? wnd - in_flight : 0;
    size_t len = std::min<size_t>({avail, f.mss, room});
    if (len == 0) break;
    // Sender silly window avoidance (RFC 9293 3.8.6.2.1): no small segment while more data
    // waits and something is in flight.
    if (len < f.mss && len < avail && in_flight > 0) break;
    if (!window_read) {
      UpdateWindow(f);
      window_read = true;
    }
    if (!SendSegment(f, f.snd_nxt, len)) {
      f.retry_at = loop.Now() + kSendRetry;
      break;
    }
    f.snd_nxt += static_cast<uint32_t>(len);
    f.snd_max = SeqMax(f.snd_max, f.snd_nxt);
  }
  TimePoint now = f.snd_max != f.snd_una || f.ring.size() > 0 ? loop.Now() : TimePoint{};
  if (f.snd_max != f.snd_una && f.rto_at == kNever) f.rto_at = now + f.rto;
  // Data waiting, nothing in flight, window closed: probe (RFC 9293 3.8.6.1).
  bool stalled = f.ring.size() > 0 && f.snd_una == f.snd_nxt && wnd == 0;
  if (!stalled) {
    f.persist_at = kNever;
  } else if (f.persist_at == kNever) {
    f.persist_at = now + f.rto;
  }
}

void TcpNat::Impl::RetransmitOne(Flow& f) {
  ++st.retransmits;
  f.rtt_timing = false;  // Karn: no samples from retransmitted data
  UpdateWindow(f);
  size_t len = std::min<size_t>(f.mss, f.ring.size());
  if (len > 0) {
    SendSegment(f, f.snd_una, len);
  } else if (f.host_eof && f.snd_una == f.fin_seq && SeqGt(f.snd_max, f.snd_una)) {
    Emit(f, tf::kFin | tf::kAck, f.snd_una, {});
  }
}

void TcpNat::Impl::Retransmit(Flow& f) {
  // RFC 6298 5.4-5.6 plus slow start from two segments (RFC 5681 3.1, loss window).
  ++st.retransmits;
  f.rtt_timing = false;
  f.in_recovery = false;
  f.dupacks = 0;
  f.snd_nxt = f.snd_una;
  f.cwnd = 2u * f.mss;
  TrySend(f);
}

void TcpNat::Impl::OnTimer(Flow& f) {
  f.timer = 0;
  f.timer_at = kNever;
  if (f.dead) return;
  TimePoint now = loop.Now();
  if (f.hard_at <= now) {
    // Connect timeout (the zone's own SYN timeout answers it) or the end of TIME-WAIT.
    Destroy(f, Close::kGraceful);
    return;
  }
  if (now - f.last_active >= IdleLimit(f)) {
    SendRstToZone(f);
    Destroy(f, Close::kReset);
    return;
  }
  if (f.rto_at <= now) {
    f.rto_at = kNever;
    bool syn = f.state == FlowState::kSynSent || f.state == FlowState::kSynRcvd;
    if (++f.backoffs > (syn ? kMaxSynBackoffs : kMaxBackoffs)) {
      if (f.state == FlowState::kSynSent) ++st.refused;
      SendRstToZone(f);
      Destroy(f, Close::kReset);
      return;
    }
    f.rto = std::min<microseconds>(2 * f.rto, kMaxRto);  // RFC 6298 5.5
    if (syn) {
      ++st.retransmits;
      f.rtt_timing = false;
      UpdateWindow(f);
      uint8_t flags = f.state == FlowState::kSynSent ? tf::kSyn : tf::kSyn | tf::kAck;
      Emit(f, flags, f.iss, {}, true);
    } else if (f.state == FlowState::kEstablished) {
      Retransmit(f);
    }
    if (f.rto_at == kNever && f.snd_max != f.snd_una) f.rto_at = now + f.rto;
  }
  if (f.persist_at <= now) {
    // Zero-window probe: an old sequence number forces the zone to answer with its window.
    UpdateWindow(f);
    Emit(f, tf::kAck, f.snd_una - 1, {});
    f.persist_at =
        now + std::min<microseconds>(f.rto * (1u << std::min<int>(f.backoffs, 6)), kMaxRto);
  }
  if (f.retry_at <= now) {
    f.retry_at = kNever;
    TrySend(f);
  }
  ArmTimer(f);
}

void TcpNat::Impl::ArmTimer(Flow& f) {
  if (f.dead) return;
  TimePoint want =
      std::min({f.rto_at, f.persist_at, f.hard_at, f.retry_at, f.last_active + IdleLimit(f)});
  if (f.timer != 0 && f.timer_at <= want) return;  // fires earlier and re-arms then
  if (f.timer != 0) loop.CancelTimer(f.timer);
  // Never at or before "now": the loop runs timers due now in the same pass.
  want = std::max(want, loop.Now() + microseconds(100));
  Flow* p = &f;
  f.timer_at = want;
  f.timer = loop.AddTimer(want, [this, p] {
    OnTimer(*p);
    Reap();
  });
}

void TcpNat::Impl::ScheduleAck(Flow& f) {
  f.ack_pending = true;
  if (!f.in_ack_list) {
    f.in_ack_list = true;
    ack_list_.push_back(&f);
  }
  // One ACK per flow per batch of zone frames: the timer runs after the loop's fd handlers.
  if (ack_timer_ == 0) ack_timer_ = loop.AddTimer(milliseconds(0), [this] { FlushAcks(); });
}

void TcpNat::Impl::FlushAcks() {
  ack_timer_ = 0;
  std::vector<Flow*> list;
  list.swap(ack_list_);
  for (Flow* f : list) {
    f->in_ack_list = false;
    if (f->dead) continue;
    if (f->PendingSize() > 0 && !f->write_blocked) {
      FlushPending(*f);  // writes this batch's bytes, then acknowledges them
      continue;
    }
    if (f->ack_pending) {
      UpdateWindow(*f);
      SendAck(*f);
    }
  }
  list.clear();
  if (ack_list_.empty()) ack_list_.swap(list);  // keep the capacity
  Reap();
}

void TcpNat::Impl::MaybeFinish(Flow& f) {
  if (f.dead || f.state != FlowState::kEstablished || !f.zone_fin || !f.FinAcked()) return;
  // Both FINs are through: the host socket is done; linger briefly so a retransmitted FIN
  // from the zone is acknowledged rather than reset.
  f.state = FlowState::kTimeWait;
  if (f.fd_registered) loop.Remove(f.fd.get());
  f.fd_registered = false;
  f.fd_events = 0;
  f.fd.reset();
  f.rto_at = f.persist_at = f.retry_at = kNever;
  f.hard_at = loop.Now() + std::min(opt.fin_timeout, kTimeWait);
}

}  // namespace krata::net
