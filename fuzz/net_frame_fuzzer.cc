// Fuzzes what kratanet reads from a zone's link: one Ethernet frame (src/net/packet/frame.h),
// then the gateway's answer to it. Invariants: every parsed span lies inside the input; a
// frame rebuilt from the parsed fields parses back to the same fields; FixL4Checksum is
// idempotent and leaves a parseable frame; whatever the gateway sends parses and carries
// valid checksums.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "net/gateway/gateway.h"
#include "net/packet/build.h"
#include "net/packet/frame.h"
#include "net/packet/testing.h"

using namespace krata;
using namespace krata::net;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Inside(ByteSpan inner, ByteSpan outer) {
  if (inner.empty()) return true;
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

bool SameBytes(ByteSpan a, ByteSpan b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// Matches the addresses of fuzz/corpus/gen_net_seeds.py.
class FakePort : public ZonePort {
 public:
  FakePort() {
    zone_.name = "fuzz";
    zone_.mac = {0x02, 0x6b, 0x72, 0, 0, 2};
    zone_.ip4 = IpAddr::V4(10, 75, 0, 2);
    zone_.ip6 = MUST(ParseIp("fdd4:1476:6c7e::2"));
    gw_.mac = {0x02, 0x6b, 0x72, 0, 0, 1};
    gw_.ip4 = IpAddr::V4(10, 75, 0, 1);
    gw_.ip6 = MUST(ParseIp("fdd4:1476:6c7e::1"));
  }
  const ZoneAddrs& zone() const override { return zone_; }
  const GatewayConfig& gateway() const override { return gw_; }
  bool SendToZone(ByteSpan frame) override {
    Check(ParseFrame(frame).has_value());
    const auto* p = reinterpret_cast<const uint8_t*>(frame.data());
    std::vector<uint8_t> copy(p, p + frame.size());
    // ARP has no checksum; IP answers must verify.
    bool arp = copy[12] == 0x08 && copy[13] == 0x06;
    if (!arp) Check(testing::ChecksumsVerify(copy));
    return true;
  }

 private:
  ZoneAddrs zone_;
  GatewayConfig gw_;
};

Frame Reparse(const std::vector<uint8_t>& buf, size_t n) {
  Check(n != 0);
  Result<Frame> r = ParseFrame(ByteSpan(reinterpret_cast<const std::byte*>(buf.data()), n));
  Check(r.has_value());
  return *r;
}

// Rebuilds a frame from the parsed fields with the matching builder and parses it again.
void CheckRebuild(const Frame& f) {
  if (f.fragment || f.l3 == L3::kNone) return;
  std::vector<uint8_t> buf(kMaxFrameBytes);
  std::span<uint8_t> out(buf);
  L2Addrs l2{f.src, f.dst};
  if (f.l3 == L3::kArp) {
    Check(!f.arp.sender_ip.v6 && !f.arp.target_ip.v6);
    Frame g = Reparse(buf, BuildArpReply(out, f.arp.sender_mac, f.arp.sender_ip, f.arp.target_mac,
                                         f.arp.target_ip));
    Check(g.l3 == L3::kArp && g.arp.op == 2 && g.arp.sender_ip == f.arp.sender_ip &&
          g.arp.target_ip == f.arp.target_ip && g.arp.sender_mac == f.arp.sender_mac &&
          g.arp.target_mac == f.arp.target_mac);
    return;
  }
  Check(f.ip_src.v6 == (f.l3 == L3::kIpv6) && f.ip_dst.v6 == f.ip_src.v6);
  switch (f.l4) {
    case L4::kTcp: {
      TcpSegment seg;
      seg.seq = f.tcp.seq;
      seg.ack = f.tcp.ack;
      seg.flags = f.tcp.flags;
      seg.window = f.tcp.window;
      seg.mss = f.tcp.mss;
      seg.wscale = f.tcp.wscale;
      seg.sack_permitted = f.tcp.sack_permitted;
      Frame g = Reparse(buf, BuildTcp(out, l2, {f.ip_src, f.tcp.src_port},
                                      {f.ip_dst, f.tcp.dst_port}, seg, f.tcp.payload));
      Check(g.l4 == L4::kTcp && g.ip_src == f.ip_src && g.ip_dst == f.ip_dst &&
            g.tcp.src_port == f.tcp.src_port && g.tcp.dst_port == f.tcp.dst_port &&
            g.tcp.seq == f.tcp.seq && g.tcp.ack == f.tcp.ack && g.tcp.flags == f.tcp.flags &&
            g.tcp.window == f.tcp.window && g.tcp.mss == f.tcp.mss &&
            g.tcp.wscale == f.tcp.wscale && g.tcp.sack_permitted == f.tcp.sack_permitted &&
            SameBytes(g.tcp.payload, f.tcp.payload));
      break;
    }
    case L4::kUdp: {
      Frame g = Reparse(buf, BuildUdp(out, l2, {f.ip_src, f.udp.src_port},
                                      {f.ip_dst, f.udp.dst_port}, f.udp.payload));
      Check(g.l4 == L4::kUdp && g.udp.src_port == f.udp.src_port &&
            g.udp.dst_port == f.udp.dst_port && SameBytes(g.udp.payload, f.udp.payload));
      break;
    }
    case L4::kIcmp:
    case L4::kIcmpv6: {
      bool v6 = f.l4 == L4::kIcmpv6;
      bool request = f.icmp.type == (v6 ? 128 : 8);
      bool reply = f.icmp.type == (v6 ? 129 : 0);
      if (!request && !reply) break;
      Frame g = Reparse(buf, BuildIcmpEcho(out, l2, f.ip_src, f.ip_dst, reply, f.icmp.id,
                                           f.icmp.seq, f.icmp.body.subspan(4)));
      Check(g.l4 == f.l4 && g.icmp.type == f.icmp.type && g.icmp.id == f.icmp.id &&
            g.icmp.seq == f.icmp.seq && SameBytes(g.icmp.body, f.icmp.body));
      break;
    }
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(reinterpret_cast<const std::byte*>(data), size);
  Result<Frame> parsed = ParseFrame(in);
  if (!parsed.has_value()) return 0;
  const Frame& f = *parsed;
  Check(Inside(f.ip_packet, in) && Inside(f.l4_segment, f.ip_packet) &&
        Inside(f.tcp.payload, f.l4_segment) && Inside(f.udp.payload, f.l4_segment) &&
        Inside(f.icmp.body, f.l4_segment));
  Check(!f.fragment || f.l4 == L4::kNone);

  CheckRebuild(f);

  std::vector<uint8_t> copy(data, data + size);
  if (FixL4Checksum(copy)) {
    Result<Frame> g = ParseFrame(ByteSpan(reinterpret_cast<const std::byte*>(copy.data()), size));
    Check(g.has_value() && g->l4 == f.l4);
    std::vector<uint8_t> again = copy;
    Check(FixL4Checksum(again) && again == copy);
  } else {
    Check(size == 0 || std::memcmp(copy.data(), data, size) == 0);
  }

  FakePort port;
  (void)AnswerAsGateway(f, port);
  return 0;
}
