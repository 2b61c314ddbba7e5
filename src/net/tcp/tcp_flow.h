#pragma once
// Internal: one relayed TCP connection and the TcpNat implementation that drives it.
// tcp_nat.cc owns the flow table, handshakes and frame output; tcp_transfer.cc the
// established-state data, acknowledgement, retransmission and timer logic.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "net/packet/build.h"
#include "net/tcp/byte_ring.h"
#include "net/tcp/tcp_nat.h"

namespace krata::net {
namespace tcp {

using Clock = EventLoop::Clock;
using TimePoint = Clock::time_point;
inline constexpr TimePoint kNever = TimePoint::max();

struct FlowKey {
  const ZonePort* port = nullptr;
  Endpoint zone, remote;  // remote: the address the zone talks to (not where we connect)
  bool operator==(const FlowKey&) const = default;
};

struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const {
    EndpointHash h;
    size_t v = std::hash<const void*>()(k.port);
    v ^= h(k.zone) + 0x9e3779b97f4a7c15ULL + (v << 6) + (v >> 2);
    v ^= h(k.remote) + 0x9e3779b97f4a7c15ULL + (v << 6) + (v >> 2);
    return v;
  }
};

enum class FlowState : uint8_t {
  kConnecting,   // zone SYN seen, host connect() in progress; no SYN-ACK yet
  kSynRcvd,      // SYN-ACK sent to the zone, waiting for its ACK
  kSynSent,      // Inbound(): our SYN sent to the zone, waiting for its SYN-ACK
  kEstablished,  // relaying (half-closes tracked by zone_fin / host_eof)
  kTimeWait,     // both directions closed; kept briefly to re-ACK a retransmitted FIN
};

struct Flow {
  Flow(const FlowKey& k, ZonePort& p, size_t ring_bytes) : key(k), port(&p), ring(ring_bytes) {}

  FlowKey key;
  ZonePort* port;
  UniqueFd fd;
  FlowState state = FlowState::kConnecting;
  uint32_t fd_events = 0;  // what the loop watches for
  bool fd_registered = false;

  // zone -> host (we receive). rcv_adv is the right edge of the window we advertised.
  uint32_t irs = 0, rcv_nxt = 0, rcv_adv = 0;
  uint8_t rcv_wscale = 0;
  uint32_t wnd_bytes = 0;      // free host send buffer at the last UpdateWindow
  uint16_t wnd_field = 0;      // raw window value for the next segments
  bool zone_fin = false;       // the zone's FIN is in rcv_nxt and the host socket is SHUT_WR
  bool write_blocked = false;  // waiting for EPOLLOUT: pending bytes or a window to reopen
  // In-order zone bytes the socket did not take yet; rcv_nxt stays before them (unACKed).
  std::vector<std::byte> pending;
  size_t pending_off = 0;
  bool fin_pending = false;  // the zone's FIN follows the pending bytes
  uint64_t rcv_total = 0;    // bytes written to the host socket (rcv_nxt as a 64-bit offset)
  // Out-of-order zone bytes by stream offset (rcv_total's scale), within our window.
  std::map<uint64_t, std::vector<std::byte>> ooo;
  size_t ooo_bytes = 0;
  std::optional<uint64_t> ooo_fin;  // offset of a FIN that came out of order
  bool ack_pending = false;         // an ACK is owed to the zone
  bool in_ack_list = false;         // in Impl::ack_list_

  // host -> zone (we send). ring holds [snd_una, snd_una + ring.size()) (from iss + 1
  // while our SYN is unacknowledged).
  uint32_t iss = 0, snd_una = 0, snd_nxt = 0, snd_max = 0;
  uint32_t snd_wl1 = 0, snd_wl2 = 0, snd_wnd = 0, cwnd = UINT32_MAX, recover = 0;
  uint8_t snd_wscale = 0;
  uint16_t mss = 536;
  bool wscale_ok = false;  // both sides sent the window scale option
  bool host_eof = false;   // recv() returned 0: FIN follows the buffered data
  uint32_t fin_seq = 0;    // sequence number of our FIN, set with host_eof
  bool in_recovery = false;
  uint8_t dupacks = 0;
  ByteRing ring;

  // Timing (RFC 6298). One loop timer per flow at timer_at, re-armed lazily.
  std::chrono::microseconds srtt{0}, rttvar{0}, rto{1000000};
  bool rtt_timing = false;
  uint32_t rtt_seq = 0;
  TimePoint rtt_start{};
  uint8_t backoffs = 0;
  TimePoint rto_at = kNever, persist_at = kNever, hard_at = kNever, retry_at = kNever;
  TimePoint last_active{};
  EventLoop::TimerId timer = 0;
  TimePoint timer_at = kNever;
  bool dead = false;

  size_t PendingSize() const { return pending.size() - pending_off; }
  bool FinAcked() const { return host_eof && snd_una == fin_seq + 1; }
};

}  // namespace tcp

struct TcpNat::Impl {
  using Flow = tcp::Flow;
  Impl(EventLoop& l, TcpNatOptions o);
  ~Impl();

  // tcp_nat.cc
  void FromZone(ZonePort& port, const Frame& frame, std::optional<Endpoint> connect_to);
  void Inbound(ZonePort& port, UniqueFd host_conn, const Endpoint& src, const Endpoint& zone_ep);
  void DropZone(const ZonePort& port);
  void OpenFromZone(ZonePort& port, const tcp::FlowKey& key, const TcpInfo& syn,
                    const Endpoint& connect_to);
  void OnConnected(Flow& f);
  void OnSynFromZone(Flow& f, const TcpInfo& t);
  void OnSynAck(Flow& f, const TcpInfo& t);
  void ReplyRst(ZonePort& port, const Endpoint& from, const Endpoint& to, const TcpInfo& t);
  bool Emit(Flow& f, uint8_t flags, uint32_t seq, ByteSpan payload, bool syn_options = false);
  void SendAck(Flow& f) { Emit(f, tcpflag::kAck, f.snd_nxt, {}); }
  void SendRstToZone(Flow& f);
  // Recomputes the window we advertise; `arm` watches EPOLLOUT when it is (nearly) closed,
  // to announce it reopening.
  void UpdateWindow(Flow& f, bool arm = true);
  void Watch(Flow& f, uint32_t events);
  // Ends a flow: how == kReset closes the host socket with SO_LINGER{1,0} (RST).
  enum class Close { kGraceful, kReset };
  void Destroy(Flow& f, Close how);
  void Reap() { dead_.clear(); }

  // tcp_transfer.cc
  void OnSegment(Flow& f, const TcpInfo& t);
  void ProcessAck(Flow& f, const TcpInfo& t);
  void WriteToHost(Flow& f, const TcpInfo& t);
  void OnHostEvent(Flow& f, uint32_t events);
  void ReadFromHost(Flow& f);
  void TrySend(Flow& f);
  bool SendSegment(Flow& f, uint32_t seq, size_t len);
  void Retransmit(Flow& f);
  void RetransmitOne(Flow& f);
  void SampleRtt(Flow& f, std::chrono::microseconds r);
  void OnTimer(Flow& f);
  void ArmTimer(Flow& f);
  void ScheduleAck(Flow& f);
  void FlushAcks();
  void MaybeFinish(Flow& f);
  void UpdateInterest(Flow& f);
  void HostFailed(Flow& f, int err);
  void ApplyZoneFin(Flow& f);
  // Writes in-order bytes (or holds what the socket refuses); false if some were dropped
  // or the flow died.
  bool Deliver(Flow& f, ByteSpan data);
  void HoldOutOfOrder(Flow& f, uint32_t seq, ByteSpan data, bool fin);
  void FlushPending(Flow& f);
  std::chrono::milliseconds IdleLimit(const Flow& f) const;

  EventLoop& loop;
  TcpNatOptions opt;
  TcpNatStats st;
  std::unordered_map<tcp::FlowKey, std::unique_ptr<Flow>, tcp::FlowKeyHash> flows;
  std::vector<std::unique_ptr<Flow>> dead_;  // destroyed during a dispatch, freed after it
  std::vector<Flow*> ack_list_;
  EventLoop::TimerId ack_timer_ = 0;
  std::vector<uint8_t> out_;        // one frame being built
  std::vector<std::byte> scratch_;  // a segment's payload when it wraps in the ring
  std::mt19937 rng_;
};

}  // namespace krata::net
