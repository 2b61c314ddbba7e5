// Fuzzes TcpNat's state machine: the input is a sequence of records, each either a TCP
// segment from the zone (built with BuildTcp, parsed with ParseFrame, fed to FromZone) or an
// action of the remote host (write, half-close, reset). The remote is a loopback listener.
// Between records the loop runs once without waiting. ACK numbers are taken relative to the
// NAT's last SYN/SYN-ACK sequence number so that valid ones are reachable.
//
// Record: u8 length, then `length` bytes: op, flags, seq delta (u32 LE), ack delta (u32 LE),
// window (u16 LE), option bits, mss (u16 LE), wscale, payload.

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "net/tcp/tcp_nat.h"
#include "net/tcp/tcp_nat_testing.h"

namespace {

using namespace krata;
using namespace krata::net;

uint32_t Le32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint16_t Le16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

testing::Listener& TheListener() {
  static testing::Listener* l = new testing::Listener(false);
  return *l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  testing::Listener& listener = TheListener();
  auto loop = MUST(EventLoop::Create());
  testing::FakePort port;
  std::vector<UniqueFd> hosts;
  uint32_t nat_seq = 0;  // last SYN / SYN-ACK sequence number from the NAT
  {
    TcpNatOptions opt;
    opt.zone_buffer_bytes = 16 << 10;
    TcpNat nat(*loop, opt);
    std::vector<uint8_t> frame(kMaxFrameBytes);
    size_t pos = 0;
    while (pos < size) {
      size_t len = data[pos++];
      if (len > size - pos) len = size - pos;
      const uint8_t* r = data + pos;
      pos += len;
      if (len < 1) continue;
      uint8_t op = r[0];
      const uint8_t* p = r + 1;
      size_t n = len - 1;
      switch (op % 5) {
        case 0:
        case 1: {  // a segment from the zone, on one of two zone ports
          if (n < 16) break;
          TcpSegment seg;
          seg.flags = p[0] & 0x3f;
          seg.seq = 7000 + Le32(p + 1);
          seg.ack = nat_seq + Le32(p + 5);
          seg.window = Le16(p + 9);
          if (p[11] & 1) seg.mss = Le16(p + 12);
          if (p[11] & 2) seg.wscale = p[14];
          seg.sack_permitted = (p[11] & 4) != 0;
          bool v6 = (p[11] & 8) != 0;
          Endpoint zone{v6 ? port.zone().ip6 : port.zone().ip4,
                        static_cast<uint16_t>(40000 + op % 2)};
          Endpoint remote = listener.ep;
          if (v6) remote.ip = port.gateway().ip6;  // relayed to the IPv4 listener, as DNS is
          L2Addrs l2{port.zone().mac, port.gateway().mac};
          ByteSpan payload{reinterpret_cast<const std::byte*>(p + 15), n - 15};
          size_t flen = BuildTcp(frame, l2, zone, remote, seg, payload);
          if (flen == 0) break;
          auto parsed = ParseFrame({reinterpret_cast<const std::byte*>(frame.data()), flen});
          if (!parsed.has_value()) break;
          nat.FromZone(port, *parsed,
                       (p[11] & 16) ? std::nullopt : std::optional<Endpoint>(listener.ep));
          break;
        }
        case 2:  // the remote writes
          for (auto& h : hosts) send(h.get(), p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
          break;
        case 3:  // the remote half-closes
          for (auto& h : hosts) shutdown(h.get(), SHUT_WR);
          break;
        case 4:  // the remote resets
          for (auto& h : hosts) {
            linger lg{1, 0};
            setsockopt(h.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
          }
          hosts.clear();
          break;
      }
      MUST(loop->RunOnce(std::chrono::milliseconds(0)));
      while (true) {
        UniqueFd c = listener.Accept();
        if (!c) break;
        hosts.push_back(std::move(c));
      }
      for (const auto& f : port.frames) {
        auto s = testing::ParseSeg(f);
        if (!s) std::abort();  // the NAT must only send well-formed frames
        if (s->flags & tcpflag::kSyn) nat_seq = s->seq;
      }
      port.frames.clear();
      char sink[4096];
      for (auto& h : hosts) {
        while (recv(h.get(), sink, sizeof(sink), MSG_DONTWAIT) > 0) {
        }
      }
    }
    nat.DropZone(port);
    if (nat.stats().flows != 0) std::abort();
  }
  return 0;
}
