#pragma once
// Test harness for TcpNat (tests only): a capturing ZonePort, a loop driver with deadlines,
// a minimal TCP endpoint playing the zone, and loopback sockets playing the remote.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_handle.h"
#include "net/loop/event_loop.h"
#include "net/packet/build.h"
#include "net/packet/frame.h"
#include "net/tcp/seq.h"
#include "net/tcp/tcp_nat.h"

namespace krata::net::testing {

class FakePort : public ZonePort {
 public:
  explicit FakePort(uint8_t id = 2) {
    zone_.name = "zone" + std::to_string(id);
    zone_.mac = {0x02, 0, 0, 0, 0, id};
    zone_.ip4 = IpAddr::V4(10, 75, 0, id);
    uint8_t v6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, id};
    zone_.ip6 = IpAddr::V6Bytes(v6);
    gw_.mac = {0x02, 0, 0, 0, 0, 1};
    gw_.ip4 = IpAddr::V4(10, 75, 0, 1);
    uint8_t g6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    gw_.ip6 = IpAddr::V6Bytes(g6);
  }
  const ZoneAddrs& zone() const override { return zone_; }
  const GatewayConfig& gateway() const override { return gw_; }
  bool SendToZone(ByteSpan frame) override {
    ++sent;
    if (refuse) return false;
    if (drop && drop(frame)) {
      ++dropped;
      return true;  // lost on the way, as on a real link
    }
    const auto* p = reinterpret_cast<const uint8_t*>(frame.data());
    frames.emplace_back(p, p + frame.size());
    return true;
  }

  ZoneAddrs zone_;
  GatewayConfig gw_;
  std::deque<std::vector<uint8_t>> frames;
  std::function<bool(ByteSpan)> drop;  // true = lose this frame
  bool refuse = false;
  size_t sent = 0, dropped = 0;
};

// A segment the NAT sent to the zone, parsed and copied.
struct Seg {
  Endpoint src, dst;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  std::optional<uint16_t> mss;
  std::optional<uint8_t> wscale;
  bool sack = false;
  std::string data;
  bool Has(uint8_t f) const { return (flags & f) == f; }
};

inline std::optional<Seg> ParseSeg(const std::vector<uint8_t>& frame) {
  auto parsed = ParseFrame({reinterpret_cast<const std::byte*>(frame.data()), frame.size()});
  if (!parsed.has_value() || parsed->l4 != L4::kTcp) return std::nullopt;
  const TcpInfo& t = parsed->tcp;
  Seg s{{parsed->ip_src, t.src_port},
        {parsed->ip_dst, t.dst_port},
        t.seq,
        t.ack,
        t.flags,
        t.window,
        t.mss,
        t.wscale,
        t.sack_permitted,
        std::string(AsChars(t.payload))};
  return s;
}

class Harness {
 public:
  explicit Harness(TcpNatOptions opt = {}) : loop_(MUST(EventLoop::Create())), nat_(*loop_, opt) {}
  EventLoop& loop() { return *loop_; }
  TcpNat& nat() { return nat_; }
  FakePort& port() { return port_; }

  // Runs the loop until pred() holds; false after `limit`.
  bool RunUntil(const std::function<bool()>& pred,
                std::chrono::milliseconds limit = std::chrono::seconds(15)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      Distribute();
      if (pred()) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      MUST(loop_->RunOnce(std::chrono::milliseconds(5)));
    }
  }
  // Moves captured frames into per-destination inboxes.
  void Distribute() {
    while (!port_.frames.empty()) {
      auto s = ParseSeg(port_.frames.front());
      port_.frames.pop_front();
      if (s) {
        all_.push_back(*s);
        inbox_[s->dst].push_back(std::move(*s));
      }
    }
  }
  std::deque<Seg>& Inbox(const Endpoint& zone) { return inbox_[zone]; }
  const std::vector<Seg>& All() const { return all_; }

  // Sends a segment "from the zone".
  void FromZone(const Endpoint& src, const Endpoint& dst, const TcpSegment& seg,
                std::string_view payload, std::optional<Endpoint> connect_to) {
    std::vector<uint8_t>& buf = frame_buf_;
    L2Addrs l2{port_.zone_.mac, port_.gw_.mac};
    size_t n = BuildTcp(buf, l2, src, dst, seg, AsBytes(payload));
    MUST_TRUE(n != 0);
    auto frame = ParseFrame({reinterpret_cast<const std::byte*>(buf.data()), n});
    MUST_TRUE(frame.has_value());
    nat_.FromZone(port_, *frame, connect_to);
  }
  static void MUST_TRUE(bool b) {
    if (!b) std::abort();
  }

 private:
  std::unique_ptr<EventLoop> loop_;
  FakePort port_;
  TcpNat nat_;
  std::map<Endpoint, std::deque<Seg>> inbox_;
  std::vector<Seg> all_;
  std::vector<uint8_t> frame_buf_ = std::vector<uint8_t>(kMaxFrameBytes);
};

// A minimal TCP endpoint in the zone: in-order receive, go-back-N send with a crude timer.
class ZoneConn {
 public:
  ZoneConn(Harness& h, Endpoint zone, Endpoint remote)
      : connect_to_(remote), h_(h), zone_(zone), remote_(remote) {}

  uint32_t iss = 1000000, snd_una = 0, snd_nxt = 0, rcv_nxt = 0, peer_iss = 0;
  uint8_t my_ws = 7, peer_ws = 0;
  bool offer_ws = true;
  uint16_t offer_mss = 1460;
  uint32_t my_window = 1 << 20;  // bytes we advertise (scaled by my_ws)
  uint32_t peer_wnd = 0;         // scaled
  std::string received;          // in-order data from the NAT
  std::string to_send;           // queued stream, [0] is iss+1
  bool fin_queued = false, fin_sent = false, got_fin = false, got_rst = false;
  size_t max_seg_seen = 0, timeouts = 0;
  bool window_violation = false;  // the NAT sent beyond our advertised window
  uint32_t right_edge = 0;        // rcv_nxt + window at our last ACK
  std::optional<Seg> synack;
  std::chrono::steady_clock::time_point last_progress{};

  const Endpoint& zone() const { return zone_; }
  std::optional<Endpoint> connect_to_;  // what FromZone is told to connect to

  void Send(uint8_t flags, uint32_t seq, std::string_view data = {}, bool syn_opts = false) {
    TcpSegment s;
    s.seq = seq;
    s.ack = (flags & tcpflag::kAck) ? rcv_nxt : 0;
    s.flags = flags;
    uint8_t shift = (flags & tcpflag::kSyn) ? 0 : (peer_ws_ok_ ? my_ws : 0);
    s.window = static_cast<uint16_t>(std::min<uint32_t>(my_window >> shift, 65535));
    if (syn_opts) {
      s.mss = offer_mss;
      if (offer_ws) s.wscale = my_ws;
    }
    if (flags & tcpflag::kAck) right_edge = rcv_nxt + (static_cast<uint32_t>(s.window) << shift);
    h_.FromZone(zone_, remote_, s, data, connect_to_);
  }
  void SendSyn() { Send(tcpflag::kSyn, iss, {}, true); }

  // SYN, wait for SYN-ACK, ACK.
  bool Connect() {
    SendSyn();
    return h_.RunUntil([&] { return Poll(); });
  }
  void Ack() { Send(tcpflag::kAck, snd_nxt); }

  // Processes inbox segments; returns true once a SYN-ACK or RST arrived.
  bool Poll() {
    auto& in = h_.Inbox(zone_);
    bool handshake_done = synack.has_value() || got_rst;
    bool need_ack = false;
    while (!in.empty()) {
      Seg s = std::move(in.front());
      in.pop_front();
      if (s.src != remote_) continue;
      if (s.Has(tcpflag::kRst)) {
        got_rst = true;
        handshake_done = true;
        continue;
      }
      if (s.Has(tcpflag::kSyn | tcpflag::kAck)) {
        if (!synack) {
          synack = s;
          peer_iss = s.seq;
          rcv_nxt = s.seq + 1;
          snd_una = snd_nxt = iss + 1;
          peer_ws_ok_ = offer_ws && s.wscale.has_value();
          peer_ws = peer_ws_ok_ ? *s.wscale : 0;
          if (!peer_ws_ok_) my_ws = 0;
          peer_wnd = s.window;
        }
        need_ack = true;
        handshake_done = true;
        continue;
      }
      if (!synack) continue;
      max_seg_seen = std::max(max_seg_seen, s.data.size());
      uint32_t end = s.seq + static_cast<uint32_t>(s.data.size());
      if (!s.data.empty() && tcp::SeqGt(end, right_edge)) window_violation = true;
      if (s.Has(tcpflag::kAck)) {
        if (tcp::SeqGt(s.ack, snd_una) && tcp::SeqLeq(s.ack, snd_nxt)) {
          snd_una = s.ack;
          last_progress = std::chrono::steady_clock::now();
        }
        peer_wnd = static_cast<uint32_t>(s.window) << peer_ws;
      }
      if (!s.data.empty() || s.Has(tcpflag::kFin)) {
        if (s.seq == rcv_nxt && !got_fin) {
          received += s.data;
          rcv_nxt += static_cast<uint32_t>(s.data.size());
          if (s.Has(tcpflag::kFin)) {
            got_fin = true;
            rcv_nxt += 1;
          }
          need_ack = true;
        } else {
          Ack();  // out of order: an immediate duplicate ACK, as Linux does
        }
      }
    }
    if (need_ack) Ack();
    Push();
    return handshake_done;
  }

  // Sends queued data within the peer's window; resends from snd_una when stalled.
  void Push() {
    if (!synack || got_rst) return;
    auto now = std::chrono::steady_clock::now();
    uint32_t base = iss + 1;
    uint32_t stream_end = base + static_cast<uint32_t>(to_send.size());
    if (snd_una != snd_nxt && now - last_progress > std::chrono::milliseconds(100)) {
      snd_nxt = snd_una;  // crude retransmission timeout
      ++timeouts;
      last_progress = now;
    }
    while (tcp::SeqLt(snd_nxt, stream_end)) {
      uint32_t in_flight = snd_nxt - snd_una;
      if (in_flight >= peer_wnd) break;
      uint32_t len = std::min({stream_end - snd_nxt, peer_wnd - in_flight, 1460u});
      if (snd_una == snd_nxt) last_progress = now;
      Send(tcpflag::kAck, snd_nxt, std::string_view(to_send).substr(snd_nxt - base, len));
      snd_nxt += len;
    }
    if (fin_queued && snd_nxt == stream_end) {
      if (snd_una == snd_nxt) last_progress = now;
      Send(tcpflag::kFin | tcpflag::kAck, snd_nxt);
      fin_sent = true;
      snd_nxt += 1;
    }
  }
  bool FinAcked() const {
    return fin_sent && snd_una == iss + 2 + static_cast<uint32_t>(to_send.size());
  }
  bool AllAcked() const { return snd_una == iss + 1 + static_cast<uint32_t>(to_send.size()); }

 private:
  Harness& h_;
  Endpoint zone_, remote_;
  bool peer_ws_ok_ = false;
};

// A loopback listener (the remote side).
struct Listener {
  UniqueFd fd;
  Endpoint ep;
  explicit Listener(bool v6 = false) {
    fd.reset(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_storage ss{};
    ep.ip = v6 ? MUST(ParseIp("::1")) : IpAddr::V4(127, 0, 0, 1);
    socklen_t len = ToSockaddr(ep, &ss);
    Harness::MUST_TRUE(bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0);
    Harness::MUST_TRUE(listen(fd.get(), 1024) == 0);
    len = sizeof(ss);
    getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
    ep = MUST(FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len));
    fcntl(fd.get(), F_SETFL, O_NONBLOCK);
  }
  // Non-blocking accept: an invalid fd when nothing is pending.
  UniqueFd Accept() {
    UniqueFd c(accept4(fd.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    return c;
  }
};

// Reads what is available (non-blocking); returns false on EOF or error (errno kept).
inline bool ReadSome(int fd, std::string& out, int* err = nullptr, bool* eof = nullptr) {
  char buf[65536];
  while (true) {
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      if (eof) *eof = true;
      return false;
    }
    if (errno == EAGAIN) return true;
    if (err) *err = errno;
    return false;
  }
}

// Writes as much of data[pos..] as the socket takes.
inline void WriteSome(int fd, const std::string& data, size_t& pos) {
  while (pos < data.size()) {
    ssize_t n = send(fd, data.data() + pos, std::min<size_t>(data.size() - pos, 1 << 20),
                     MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n <= 0) return;
    pos += static_cast<size_t>(n);
  }
}

inline std::string Pattern(size_t n, uint32_t seed = 1) {
  std::string s(n, '\0');
  uint32_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245 + 12345;
    s[i] = static_cast<char>(x >> 16);
  }
  return s;
}

}  // namespace krata::net::testing
