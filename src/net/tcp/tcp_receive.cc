// The zone -> host byte stream of TcpNat: in-order payload written to the host socket and
// acknowledged only once written; what the socket refuses is held (unacknowledged) until
// EPOLLOUT, and segments that arrive out of order are held for reassembly, both bounded by
// the window we advertised. No SACK is offered, so the zone repairs real losses with
// duplicate-ACK fast retransmits (RFC 5681) and timeouts.

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "base/eintr.h"
#include "net/tcp/seq.h"
#include "net/tcp/tcp_flow.h"

namespace krata::net {

using tcp::Flow;
using tcp::SeqGt;
using tcp::SeqLt;
namespace tf = tcpflag;

void TcpNat::Impl::WriteToHost(Flow& f, const TcpInfo& t) {
  ByteSpan data = t.payload;
  bool fin = (t.flags & tf::kFin) != 0;
  if (data.empty() && !fin) return;
  if (f.zone_fin || f.fin_pending) {  // everything after the FIN is a retransmission
    SendAck(f);
    return;
  }
  uint32_t seq = t.seq;
  uint32_t expected = f.rcv_nxt + static_cast<uint32_t>(f.PendingSize());
  if (SeqLt(seq, expected)) {  // overlaps what we already took: keep the new part
    uint32_t skip = expected - seq;
    if (skip > data.size()) {
      SendAck(f);
      return;
    }
    data = data.subspan(skip);
    seq = expected;
  }
  if (seq != expected) {
    // Out of order (lost or reordered on the link): held for reassembly, and an immediate
    // duplicate ACK lets the zone fast-retransmit a real loss.
    HoldOutOfOrder(f, seq, data, fin);
    SendAck(f);
    return;
  }
  if (!Deliver(f, data)) {
    if (f.dead) return;
    fin = false;  // the FIN follows bytes we dropped
  }
  // Reordered segments that now follow in order.
  while (!f.ooo.empty()) {
    auto it = f.ooo.begin();
    uint64_t at = f.rcv_total + f.PendingSize();
    if (it->first > at) break;
    std::vector<std::byte> bytes = std::move(it->second);
    f.ooo_bytes -= bytes.size();
    uint64_t key = it->first;
    f.ooo.erase(it);
    if (key + bytes.size() <= at) continue;
    ByteSpan rest(bytes);
    if (!Deliver(f, rest.subspan(at - key))) {
      if (f.dead) return;
      break;
    }
    fin = false;  // a FIN was in order only if nothing followed it
  }
  if (f.ooo_fin && f.ooo.empty() && *f.ooo_fin == f.rcv_total + f.PendingSize()) {
    fin = true;  // a reordered FIN, now in order
  }
  if (fin) {
    f.ooo.clear();
    f.ooo_bytes = 0;
    f.ooo_fin.reset();
    if (f.PendingSize() > 0) {
      f.fin_pending = true;
    } else {
      ApplyZoneFin(f);
    }
  }
}

bool TcpNat::Impl::Deliver(Flow& f, ByteSpan data) {
  if (data.empty()) return true;
  // In-order bytes are held, unacknowledged, and written to the host socket once per batch
  // of zone frames (FlushAcks -> FlushPending): one send() per batch instead of one per
  // segment. Bytes the socket then refuses stay held until EPOLLOUT rather than make the
  // zone wait for its retransmission timeout. Bounded by the window we advertised.
  uint32_t promised = SeqGt(f.rcv_adv, f.rcv_nxt) ? f.rcv_adv - f.rcv_nxt : 0;
  size_t limit = std::max<size_t>(promised, 65536);
  size_t take = std::min(data.size(), limit - std::min(limit, f.PendingSize()));
  f.pending.insert(f.pending.end(), data.begin(), data.begin() + static_cast<ptrdiff_t>(take));
  if (!f.write_blocked) ScheduleAck(f);
  return take == data.size();
}

void TcpNat::Impl::HoldOutOfOrder(Flow& f, uint32_t seq, ByteSpan data, bool fin) {
  // Only inside the window we advertised, and no more bytes than it.
  uint32_t promised = SeqGt(f.rcv_adv, f.rcv_nxt) ? f.rcv_adv - f.rcv_nxt : 0;
  uint32_t expected = f.rcv_nxt + static_cast<uint32_t>(f.PendingSize());
  uint64_t key = f.rcv_total + f.PendingSize() + (seq - expected);
  uint64_t end = f.rcv_total + promised;
  if (key >= end) return;
  if (fin && data.size() <= end - key) f.ooo_fin = key + data.size();
  if (data.empty()) return;
  data = data.first(std::min<uint64_t>(data.size(), end - key));
  if (f.ooo_bytes + data.size() > promised) return;
  auto [it, inserted] = f.ooo.try_emplace(key);
  if (!inserted && it->second.size() >= data.size()) return;
  f.ooo_bytes += data.size() - it->second.size();
  it->second.assign(data.begin(), data.end());
}

void TcpNat::Impl::ApplyZoneFin(Flow& f) {
  f.zone_fin = true;
  f.rcv_nxt += 1;
  shutdown(f.fd.get(), SHUT_WR);
  f.write_blocked = false;
  UpdateInterest(f);
  ScheduleAck(f);
}

void TcpNat::Impl::FlushPending(Flow& f) {
  while (f.PendingSize() > 0) {
    ssize_t r = RetryEintr([&] {
      return send(f.fd.get(), f.pending.data() + f.pending_off, f.PendingSize(),
                  MSG_NOSIGNAL | MSG_DONTWAIT);
    });
    if (r < 0) {
      if (errno == EAGAIN) break;
      HostFailed(f, errno);
      return;
    }
    f.pending_off += static_cast<size_t>(r);
    f.rcv_nxt += static_cast<uint32_t>(r);
    f.rcv_total += static_cast<size_t>(r);
  }
  if (f.PendingSize() == 0) {
    f.pending.clear();
    f.pending_off = 0;
    f.write_blocked = false;
    if (f.fin_pending) {
      f.fin_pending = false;
      ApplyZoneFin(f);
    }
  } else {
    f.write_blocked = true;  // the rest goes on EPOLLOUT
    if (f.pending_off > f.pending.size() / 2) {
      f.pending.erase(f.pending.begin(), f.pending.begin() + static_cast<ptrdiff_t>(f.pending_off));
      f.pending_off = 0;
    }
  }
  UpdateInterest(f);
  UpdateWindow(f, false);
  SendAck(f);
}

}  // namespace krata::net
