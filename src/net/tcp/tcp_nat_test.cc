#include "net/tcp/tcp_nat.h"

#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "net/tcp/tcp_nat_testing.h"

namespace krata::net::testing {
namespace {

namespace tf = tcpflag;
using std::chrono::milliseconds;

Endpoint ZoneEp(FakePort& p, uint16_t port, bool v6 = false) {
  return {v6 ? p.zone().ip6 : p.zone().ip4, port};
}

// Connects a zone flow to `l` and accepts the host side.
struct Flow {
  ZoneConn zc;
  UniqueFd host;
};

std::unique_ptr<Flow> Open(Harness& h, Listener& l, uint16_t zport, bool v6 = false) {
  auto f = std::make_unique<Flow>(Flow{ZoneConn(h, ZoneEp(h.port(), zport, v6), l.ep), {}});
  if (!f->zc.Connect() || f->zc.got_rst) return nullptr;
  f->zc.Ack();
  if (!h.RunUntil([&] { return bool(f->host = l.Accept()); })) return nullptr;
  return f;
}

TEST(TcpNat, HandshakeOptionsV4) {
  Harness h;
  Listener l;
  ZoneConn zc(h, ZoneEp(h.port(), 40000), l.ep);
  ASSERT_TRUE(zc.Connect());
  ASSERT_TRUE(zc.synack.has_value());
  const Seg& s = *zc.synack;
  EXPECT_TRUE(s.Has(tf::kSyn | tf::kAck));
  EXPECT_EQ(s.ack, zc.iss + 1);
  EXPECT_EQ(s.mss, 1460);
  EXPECT_EQ(s.wscale, 7);
  EXPECT_FALSE(s.sack);
  EXPECT_EQ(s.src, l.ep);
  EXPECT_EQ(h.nat().stats().opened, 1u);
  EXPECT_EQ(h.nat().stats().flows, 1u);
}

TEST(TcpNat, HandshakeClampsMssAndOmitsWscale) {
  Harness h;
  Listener l;
  ZoneConn zc(h, ZoneEp(h.port(), 40001), l.ep);
  zc.offer_mss = 1000;
  zc.offer_ws = false;
  ASSERT_TRUE(zc.Connect());
  EXPECT_EQ(zc.synack->mss, 1000);
  EXPECT_FALSE(zc.synack->wscale.has_value());
}

TEST(TcpNat, HandshakeV6UsesMtuMinus60) {
  Harness h;
  Listener l(true);
  ZoneConn zc(h, ZoneEp(h.port(), 40002, true), l.ep);
  zc.offer_mss = 9000;
  ASSERT_TRUE(zc.Connect());
  EXPECT_EQ(zc.synack->mss, 1440);
}

TEST(TcpNat, RetransmittedSynAfterSynAckResendsIt) {
  Harness h;
  Listener l;
  ZoneConn zc(h, ZoneEp(h.port(), 40003), l.ep);
  zc.SendSyn();
  zc.SendSyn();  // still connecting: ignored
  auto& in = h.Inbox(zc.zone());
  ASSERT_TRUE(h.RunUntil([&] { return !in.empty(); }));
  ASSERT_EQ(in.size(), 1u);
  Seg first = in.front();
  in.pop_front();
  zc.SendSyn();  // the SYN-ACK was lost
  h.Distribute();
  ASSERT_EQ(in.size(), 1u);
  EXPECT_TRUE(in.front().Has(tf::kSyn | tf::kAck));
  EXPECT_EQ(in.front().seq, first.seq);
}

TEST(TcpNat, ConnectRefusedSendsRst) {
  Harness h;
  Endpoint closed;
  {
    Listener l;  // bound then closed: nothing listens on the port afterwards
    closed = l.ep;
  }
  ZoneConn zc(h, ZoneEp(h.port(), 40004), closed);
  ASSERT_TRUE(zc.Connect());
  EXPECT_TRUE(zc.got_rst);
  const Seg& rst = h.All().back();
  EXPECT_TRUE(rst.Has(tf::kRst | tf::kAck));
  EXPECT_EQ(rst.ack, zc.iss + 1);
  EXPECT_EQ(h.nat().stats().refused, 1u);
  EXPECT_TRUE(h.RunUntil([&] { return h.nat().stats().flows == 0; }));
}

TEST(TcpNat, NoDestinationGetsRst) {
  Harness h;
  ZoneConn zc(h, ZoneEp(h.port(), 40005), {IpAddr::V4(192, 0, 2, 1), 80});
  zc.connect_to_ = std::nullopt;
  zc.SendSyn();
  h.Distribute();
  auto& in = h.Inbox(zc.zone());
  ASSERT_EQ(in.size(), 1u);
  EXPECT_TRUE(in.front().Has(tf::kRst | tf::kAck));
  EXPECT_EQ(h.nat().stats().flows, 0u);
}

TEST(TcpNat, SlowConnectTimesOutWithoutStallingOthers) {
  TcpNatOptions opt;
  opt.connect_timeout = milliseconds(300);
  Harness h(opt);
  // A listener whose accept queue is full drops further SYNs: connects to it hang.
  Listener full;
  ASSERT_EQ(listen(full.fd.get(), 0), 0);
  std::vector<UniqueFd> fillers;
  for (int i = 0; i < 4; ++i) {
    UniqueFd c(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_storage ss{};
    socklen_t len = ToSockaddr(full.ep, &ss);
    connect(c.get(), reinterpret_cast<sockaddr*>(&ss), len);
    fillers.push_back(std::move(c));
  }
  for (int i = 0; i < 20; ++i) MUST(h.loop().RunOnce(milliseconds(1)));
  ZoneConn slow(h, ZoneEp(h.port(), 40010), full.ep);
  slow.SendSyn();
  Listener good;
  auto f = Open(h, good, 40011);
  ASSERT_TRUE(f);
  EXPECT_FALSE(slow.synack.has_value());
  EXPECT_EQ(h.nat().stats().flows, 2u);
  ASSERT_TRUE(h.RunUntil([&] { return h.nat().stats().flows == 1; }));
  slow.Poll();
  EXPECT_FALSE(slow.synack.has_value());
  EXPECT_FALSE(slow.got_rst);  // dropped silently: the zone's SYN timeout answers it
}

void BulkZoneToHost(bool v6) {
  Harness h;
  Listener l(v6);
  auto f = Open(h, l, 41000, v6);
  ASSERT_TRUE(f);
  f->zc.to_send = Pattern(4 << 20, 7);
  f->zc.fin_queued = true;
  std::string got;
  bool eof = false;
  ASSERT_TRUE(h.RunUntil(
      [&] {
        f->zc.Poll();
        ReadSome(f->host.get(), got, nullptr, &eof);
        return eof;
      },
      std::chrono::seconds(60)));
  EXPECT_EQ(got.size(), f->zc.to_send.size());
  EXPECT_TRUE(got == f->zc.to_send);
  EXPECT_TRUE(h.RunUntil([&] {
    f->zc.Poll();
    return f->zc.FinAcked();
  }));
}

TEST(TcpNat, BulkZoneToHostV4) { BulkZoneToHost(false); }
TEST(TcpNat, BulkZoneToHostV6) { BulkZoneToHost(true); }

TEST(TcpNat, BulkHostToZoneHonoursWindow) {
  Harness h;
  Listener l;
  auto f = Open(h, l, 41001);
  ASSERT_TRUE(f);
  f->zc.my_window = 64 << 10;
  f->zc.Ack();
  std::string data = Pattern(4 << 20, 3);
  size_t pos = 0;
  bool closed = false;
  ASSERT_TRUE(h.RunUntil(
      [&] {
        WriteSome(f->host.get(), data, pos);
        if (pos == data.size() && !closed) {
          shutdown(f->host.get(), SHUT_WR);
          closed = true;
        }
        f->zc.Poll();
        return f->zc.got_fin;
      },
      std::chrono::seconds(60)));
  EXPECT_EQ(f->zc.received.size(), data.size());
  EXPECT_TRUE(f->zc.received == data);
  EXPECT_FALSE(f->zc.window_violation);
  EXPECT_LE(f->zc.max_seg_seen, 1460u);
}

TEST(TcpNat, RetransmitsDroppedSegmentOnTimeout) {
  TcpNatOptions opt;
  opt.min_rto = milliseconds(20);
  Harness h(opt);
  Listener l;
  auto f = Open(h, l, 41002);
  ASSERT_TRUE(f);
  int dropped = 0;
  h.port().drop = [&](ByteSpan frame) {
    auto s = ParseSeg({reinterpret_cast<const uint8_t*>(frame.data()),
                       reinterpret_cast<const uint8_t*>(frame.data()) + frame.size()});
    return s && !s->data.empty() && dropped++ == 0;
  };
  ASSERT_EQ(send(f->host.get(), "ping", 4, 0), 4);
  ASSERT_TRUE(h.RunUntil([&] {
    f->zc.Poll();
    return f->zc.received == "ping";
  }));
  EXPECT_EQ(dropped, 2);
  EXPECT_GE(h.nat().stats().retransmits, 1u);
}

TEST(TcpNat, FastRetransmitOnThreeDuplicateAcks) {
  TcpNatOptions opt;
  opt.min_rto = std::chrono::seconds(30);  // a timeout cannot be what recovers
  Harness h(opt);
  Listener l;
  auto f = Open(h, l, 41003);
  ASSERT_TRUE(f);
  bool first = true;
  h.port().drop = [&](ByteSpan frame) {
    auto s = ParseSeg({reinterpret_cast<const uint8_t*>(frame.data()),
                       reinterpret_cast<const uint8_t*>(frame.data()) + frame.size()});
    if (s && !s->data.empty() && first) {
      first = false;
      return true;
    }
    return false;
  };
  std::string data = Pattern(64 << 10, 5);
  size_t pos = 0;
  ASSERT_TRUE(h.RunUntil(
      [&] {
        WriteSome(f->host.get(), data, pos);
        f->zc.Poll();
        return f->zc.received.size() == data.size();
      },
      std::chrono::seconds(5)));
  EXPECT_TRUE(f->zc.received == data);
  EXPECT_GE(h.nat().stats().retransmits, 1u);
}

TEST(TcpNat, ReorderedZoneSegmentsAreReassembled) {
  TcpNatOptions opt;
  Harness h(opt);
  Listener l;
  auto f = Open(h, l, 41015);
  ASSERT_TRUE(f);
  ZoneConn& zc = f->zc;
  std::string data = Pattern(3000, 4);
  uint32_t base = zc.snd_nxt;
  // Second and third segments first, then the first: nothing has to be retransmitted.
  zc.Send(tf::kAck, base + 2000, std::string_view(data).substr(2000));
  zc.Send(tf::kAck, base + 1000, std::string_view(data).substr(1000, 1000));
  zc.Send(tf::kAck | tf::kPsh, base, std::string_view(data).substr(0, 1000));
  std::string got;
  ASSERT_TRUE(h.RunUntil([&] {
    ReadSome(f->host.get(), got);
    return got.size() >= data.size();
  }));
  EXPECT_TRUE(got == data);
  auto& in = h.Inbox(zc.zone());
  EXPECT_TRUE(h.RunUntil([&] { return !in.empty() && in.back().ack == base + 3000; }));
  EXPECT_EQ(h.nat().stats().retransmits, 0u);
}

TEST(TcpNat, ReorderedFinIsKept) {
  Harness h;
  Listener l;
  auto f = Open(h, l, 41016);
  ASSERT_TRUE(f);
  ZoneConn& zc = f->zc;
  uint32_t base = zc.snd_nxt;
  zc.Send(tf::kAck | tf::kFin, base + 3, "def");
  zc.Send(tf::kAck, base, "abc");
  std::string got;
  bool eof = false;
  ASSERT_TRUE(h.RunUntil([&] {
    ReadSome(f->host.get(), got, nullptr, &eof);
    return eof;
  }));
  EXPECT_EQ(got, "abcdef");
  auto& in = h.Inbox(zc.zone());
  EXPECT_TRUE(h.RunUntil([&] { return !in.empty() && in.back().ack == base + 7; }));
}

TEST(TcpNat, IdleFlowIsReset) {
  TcpNatOptions opt;
  opt.idle_timeout = milliseconds(100);
  Harness h(opt);
  Listener l;
  auto f = Open(h, l, 41017);
  ASSERT_TRUE(f);
  ASSERT_TRUE(h.RunUntil([&] {
    f->zc.Poll();
    return f->zc.got_rst;
  }));
  EXPECT_EQ(h.nat().stats().flows, 0u);
  std::string got;
  int err = 0;
  EXPECT_TRUE(h.RunUntil([&] { return !ReadSome(f->host.get(), got, &err); }));
  EXPECT_EQ(err, ECONNRESET);
}

TEST(TcpNat, HalfCloseFromZone) {
  TcpNatOptions opt;
  opt.fin_timeout = milliseconds(100);  // also shortens the final linger
  Harness h(opt);
  Listener l;
  auto f = Open(h, l, 41004);
  ASSERT_TRUE(f);
  f->zc.to_send = "request";
  f->zc.fin_queued = true;
  std::string got;
  bool eof = false;
  ASSERT_TRUE(h.RunUntil([&] {
    f->zc.Poll();
    ReadSome(f->host.get(), got, nullptr, &eof);
    return eof && f->zc.FinAcked();
  }));
  EXPECT_EQ(got, "request");
  // The other direction still works after the zone's FIN.
  ASSERT_EQ(send(f->host.get(), "response", 8, 0), 8);
  f->host.reset();
  ASSERT_TRUE(h.RunUntil([&] {
    f->zc.Poll();
    return f->zc.got_fin;
  }));
  EXPECT_EQ(f->zc.received, "response");
  EXPECT_TRUE(h.RunUntil([&] { return h.nat().stats().flows == 0; }, std::chrono::seconds(5)));
}

TEST(TcpNat, HalfCloseFromHost) {
  Harness h;
  Listener l;
  auto f = Open(h, l, 41005);
  ASSERT_TRUE(f);
  ASSERT_EQ(send(f->host.get(), "hello", 5, 0), 5);
  shutdown(f->host.get(), SHUT_WR);
  ASSERT_TRUE(h.RunUntil([&] {
    f->zc.Poll();
    return f->zc.got_fin;
  }));
  EXPECT_EQ(f->zc.received, "hello");
  f->zc.to_send = "still talking";
  f->zc.fin_queued = true;
  std::string got;
  bool eof = false;
  ASSERT_TRUE(h.RunUntil([&] {
    f->zc.Poll();
    ReadSome(f->host.get(), got, nullptr, &eof);
    return eof;
  }));
  EXPECT_EQ(got, "still talking");
}

TEST(TcpNat, ZoneRstResetsHost) {
  Harness h;
  Listener l;
  auto f = Open(h, l, 41006);
  ASSERT_TRUE(f);
  f->zc.Send(tf::kRst, f->zc.snd_nxt);
  EXPECT_EQ(h.nat().stats().reset_by_zone, 1u);
  EXPECT_EQ(h.nat().stats().flows, 0u);
  std::string got;
  int err = 0;
  ASSERT_TRUE(h.RunUntil([&] { return !ReadSome(f->host.get(), got, &err); }));
  EXPECT_EQ(err, ECONNRESET);
}

TEST(TcpNat, HostRstResetsZone) {
  Harness h;
  Listener l;
  auto f = Open(h, l, 41007);
  ASSERT_TRUE(f);
  linger lg{1, 0};
  setsockopt(f->host.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  f->host.reset();
  ASSERT_TRUE(h.RunUntil([&] {
    f->zc.Poll();
    return f->zc.got_rst;
  }));
  EXPECT_EQ(h.nat().stats().flows, 0u);
}

TEST(TcpNat, OutOfWindowAndGarbageIgnored) {
  Harness h;
  Listener l;
  auto f = Open(h, l, 41008);
  ASSERT_TRUE(f);
  ZoneConn& zc = f->zc;
  h.Distribute();
  h.Inbox(zc.zone()).clear();
  // Far outside the window: not written, answered with an ACK of rcv_nxt.
  zc.Send(tf::kAck, zc.snd_nxt + 0x40000000, "garbage");
  // An RST outside the window: ignored.
  zc.Send(tf::kRst, zc.snd_nxt + 0x40000000);
  // Data without ACK flag: ignored.
  zc.Send(tf::kPsh, zc.snd_nxt, "noack");
  h.Distribute();
  auto& in = h.Inbox(zc.zone());
  ASSERT_FALSE(in.empty());
  EXPECT_TRUE(in.front().Has(tf::kAck));
  EXPECT_EQ(in.front().ack, zc.snd_nxt);
  in.clear();
  EXPECT_EQ(h.nat().stats().flows, 1u);
  // The connection still works.
  zc.to_send = "fine";
  std::string got;
  ASSERT_TRUE(h.RunUntil([&] {
    zc.Poll();
    ReadSome(f->host.get(), got);
    return got == "fine";
  }));
}

TEST(TcpNat, UnknownFlowGetsRst) {
  Harness h;
  Listener l;
  ZoneConn zc(h, ZoneEp(h.port(), 41009), l.ep);
  zc.Send(tf::kAck, 5000, "hi");
  h.Distribute();
  auto& in = h.Inbox(zc.zone());
  ASSERT_EQ(in.size(), 1u);
  EXPECT_TRUE(in.front().Has(tf::kRst));
  EXPECT_EQ(in.front().seq, zc.rcv_nxt);  // the segment's ACK field
  in.clear();
  zc.Send(tf::kRst, 5000);  // never answered
  h.Distribute();
  EXPECT_TRUE(in.empty());
}

TEST(TcpNat, BackPressureClosesWindowWithBoundedMemory) {
  Harness h;
  Listener l;
  auto f = Open(h, l, 41010);
  ASSERT_TRUE(f);
  // The remote never reads: the zone's data has to stop at the host socket's buffers, with
  // the window's right edge no longer moving (RFC 9293 3.8.6: it never moves left either).
  f->zc.to_send = Pattern(64 << 20, 9);
  uint32_t last_edge = 0;
  int still = 0;
  ASSERT_TRUE(h.RunUntil(
      [&] {
        f->zc.Poll();
        uint32_t edge = f->zc.snd_una + f->zc.peer_wnd;
        still = (edge == last_edge && f->zc.snd_nxt == edge) ? still + 1 : 0;
        last_edge = edge;
        return still > 100;
      },
      std::chrono::seconds(30)));
  uint32_t accepted = f->zc.snd_una - f->zc.iss - 1;
  EXPECT_LT(last_edge - f->zc.iss - 1, 32u << 20);
  // Reading resumes the flow.
  std::string got;
  ASSERT_TRUE(h.RunUntil(
      [&] {
        f->zc.Poll();
        ReadSome(f->host.get(), got);
        return got.size() > accepted + (1 << 20);
      },
      std::chrono::seconds(30)));
  EXPECT_TRUE(got == f->zc.to_send.substr(0, got.size()));
}

TEST(TcpNat, HostToZoneBufferIsBounded) {
  TcpNatOptions opt;
  opt.zone_buffer_bytes = 64 << 10;
  Harness h(opt);
  Listener l;
  auto f = Open(h, l, 41011);
  ASSERT_TRUE(f);
  // The zone never ACKs data: the NAT holds at most zone_buffer_bytes and stops reading.
  std::string data = Pattern(8 << 20, 2);
  size_t pos = 0, last = 0;
  int stable = 0;
  ASSERT_TRUE(h.RunUntil([&] {
    WriteSome(f->host.get(), data, pos);
    h.Distribute();
    stable = pos == last ? stable + 1 : 0;
    last = pos;
    return stable > 50;
  }));
  EXPECT_LT(pos, data.size());
  size_t max_end = 0;
  for (const Seg& s : h.All()) {
    if (s.dst == f->zc.zone() && !s.data.empty()) {
      max_end = std::max<size_t>(max_end, s.seq + s.data.size() - f->zc.synack->seq - 1);
    }
  }
  EXPECT_LE(max_end, opt.zone_buffer_bytes);
}

TEST(TcpNat, TwoHundredConcurrentFlows) {
  Harness h;
  Listener l;
  std::vector<std::unique_ptr<ZoneConn>> zones;
  for (int i = 0; i < 200; ++i) {
    zones.push_back(std::make_unique<ZoneConn>(h, ZoneEp(h.port(), 20000 + i), l.ep));
    zones.back()->SendSyn();
  }
  std::vector<UniqueFd> hosts;
  ASSERT_TRUE(h.RunUntil([&] {
    while (auto c = l.Accept()) hosts.push_back(std::move(c));
    for (auto& z : zones) z->Poll();
    return hosts.size() == 200;
  }));
  for (size_t i = 0; i < zones.size(); ++i) {
    zones[i]->to_send = "flow " + std::to_string(i);
    zones[i]->fin_queued = true;
  }
  // Echo everything back on the host side.
  std::vector<std::string> got(200);
  std::vector<bool> eof(200, false);
  ASSERT_TRUE(h.RunUntil([&] {
    size_t done = 0;
    for (size_t i = 0; i < hosts.size(); ++i) {
      bool e = false;
      size_t before = got[i].size();
      ReadSome(hosts[i].get(), got[i], nullptr, &e);
      if (got[i].size() > before) {
        send(hosts[i].get(), got[i].data() + before, got[i].size() - before, MSG_NOSIGNAL);
      }
      if (e && !eof[i]) {
        eof[i] = true;
        shutdown(hosts[i].get(), SHUT_WR);
      }
    }
    for (auto& z : zones) {
      z->Poll();
      done += z->got_fin;
    }
    return done == 200;
  }));
  std::multiset<std::string> sent, echoed;
  for (auto& z : zones) {
    sent.insert(z->to_send);
    echoed.insert(z->received);
  }
  EXPECT_EQ(sent, echoed);
  EXPECT_EQ(h.nat().stats().opened, 200u);
}

// A connected pair on loopback: returns (client, accepted).
std::pair<UniqueFd, UniqueFd> LoopbackPair(Listener& l) {
  UniqueFd c(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_storage ss{};
  socklen_t len = ToSockaddr(l.ep, &ss);
  Harness::MUST_TRUE(connect(c.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0);
  UniqueFd a;
  for (int i = 0; i < 1000 && !a; ++i) a = l.Accept();
  return {std::move(c), std::move(a)};
}

TEST(TcpNat, InboundRelaysBothWays) {
  Harness h;
  Listener fwd;  // the host listener of a port forward
  auto [client, accepted] = LoopbackPair(fwd);
  ASSERT_TRUE(accepted);
  Endpoint gw{h.port().gateway().ip4, 45000};
  Endpoint zep = ZoneEp(h.port(), 80);
  h.nat().Inbound(h.port(), std::move(accepted), gw, zep);
  h.Distribute();
  auto& in = h.Inbox(zep);
  ASSERT_EQ(in.size(), 1u);
  Seg syn = in.front();
  in.clear();
  EXPECT_EQ(syn.flags, tf::kSyn);
  EXPECT_EQ(syn.src, gw);
  EXPECT_EQ(syn.mss, 1460);
  EXPECT_EQ(syn.wscale, 7);
  // The zone answers SYN-ACK.
  ZoneConn zc(h, zep, gw);
  zc.rcv_nxt = syn.seq + 1;
  TcpSegment sa;
  sa.seq = zc.iss;
  sa.ack = syn.seq + 1;
  sa.flags = tf::kSyn | tf::kAck;
  sa.window = 65535;
  sa.mss = 1460;
  sa.wscale = 7;
  h.FromZone(zep, gw, sa, {}, std::nullopt);
  h.Distribute();
  ASSERT_FALSE(in.empty());
  EXPECT_EQ(in.front().flags, tf::kAck);
  EXPECT_EQ(in.front().ack, zc.iss + 1);
  // Pretend the handshake happened through ZoneConn's bookkeeping.
  Seg fake = in.front();
  fake.flags = tf::kSyn | tf::kAck;
  fake.seq = syn.seq;
  fake.wscale = 7;
  in.front() = fake;
  zc.connect_to_ = std::nullopt;
  zc.Poll();
  ASSERT_EQ(send(client.get(), "GET /", 5, 0), 5);
  ASSERT_TRUE(h.RunUntil([&] {
    zc.Poll();
    return zc.received == "GET /";
  }));
  zc.to_send = "200 OK";
  std::string got;
  ASSERT_TRUE(h.RunUntil([&] {
    zc.Poll();
    ReadSome(client.get(), got);
    return got == "200 OK";
  }));
  EXPECT_EQ(h.nat().stats().opened, 1u);
}

TEST(TcpNat, InboundRefusedResetsHostConnection) {
  Harness h;
  Listener fwd;
  auto [client, accepted] = LoopbackPair(fwd);
  Endpoint gw{h.port().gateway().ip4, 45001};
  Endpoint zep = ZoneEp(h.port(), 81);
  h.nat().Inbound(h.port(), std::move(accepted), gw, zep);
  h.Distribute();
  auto& in = h.Inbox(zep);
  ASSERT_EQ(in.size(), 1u);
  TcpSegment rst;
  rst.ack = in.front().seq + 1;
  rst.flags = tf::kRst | tf::kAck;
  h.FromZone(zep, gw, rst, {}, std::nullopt);
  EXPECT_EQ(h.nat().stats().flows, 0u);
  EXPECT_EQ(h.nat().stats().refused, 1u);
  std::string got;
  int err = 0;
  ASSERT_TRUE(h.RunUntil([&] { return !ReadSome(client.get(), got, &err); }));
  EXPECT_EQ(err, ECONNRESET);
}

TEST(TcpNat, DropZoneResetsHostsAndSendsNothing) {
  Harness h;
  Listener l;
  auto a = Open(h, l, 41012);
  auto b = Open(h, l, 41013);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(send(a->host.get(), "late", 4, 0), 4);
  size_t sent_before = h.port().sent;
  h.nat().DropZone(h.port());
  EXPECT_EQ(h.nat().stats().flows, 0u);
  for (int i = 0; i < 5; ++i) MUST(h.loop().RunOnce(milliseconds(1)));
  EXPECT_EQ(h.port().sent, sent_before);
  std::string got;
  int err = 0;
  EXPECT_FALSE(ReadSome(b->host.get(), got, &err));
  EXPECT_EQ(err, ECONNRESET);
}

TEST(TcpNat, CongestedLinkRetriesWithoutLoss) {
  Harness h;
  Listener l;
  auto f = Open(h, l, 41014);
  ASSERT_TRUE(f);
  h.port().refuse = true;
  ASSERT_EQ(send(f->host.get(), "queued", 6, 0), 6);
  for (int i = 0; i < 20; ++i) MUST(h.loop().RunOnce(milliseconds(2)));
  h.port().refuse = false;
  ASSERT_TRUE(h.RunUntil([&] {
    f->zc.Poll();
    return f->zc.received == "queued";
  }));
}

}  // namespace
}  // namespace krata::net::testing
