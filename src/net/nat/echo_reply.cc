#include "net/nat/echo_reply.h"

#include <cstring>

namespace krata::net {

namespace {
constexpr uint8_t kIcmpEchoReply = 0, kIcmpEchoRequest = 8;          // RFC 792
constexpr uint8_t kIcmpv6EchoRequest = 128, kIcmpv6EchoReply = 129;  // RFC 4443
constexpr size_t kEchoHeader = 8;  // type, code, checksum, id, seq
constexpr size_t kIpv4MinHeader = 20;
constexpr uint8_t kProtoIcmpNumber = 1;

uint16_t Be16(ByteSpan b, size_t off) {
  return static_cast<uint16_t>(std::to_integer<uint16_t>(b[off]) << 8 |
                               std::to_integer<uint16_t>(b[off + 1]));
}

// RFC 1071 Internet checksum over big-endian 16-bit words, as a host-order value.
uint16_t InternetChecksum(std::span<const uint8_t> b) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < b.size(); i += 2) sum += static_cast<uint32_t>(b[i] << 8 | b[i + 1]);
  if (b.size() % 2 != 0) sum += static_cast<uint32_t>(b.back() << 8);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}
}  // namespace

std::optional<EchoReply> ParseEchoReply(ByteSpan received, bool v6, bool with_ipv4_header) {
  ByteSpan icmp = received;
  if (with_ipv4_header) {
    // RFC 791: version in the high nibble of byte 0, header length in 32-bit words in the
    // low one; protocol at byte 9.
    if (received.size() < kIpv4MinHeader) return std::nullopt;
    uint8_t vihl = std::to_integer<uint8_t>(received[0]);
    size_t ihl = (vihl & 0x0f) * 4u;
    if ((vihl >> 4) != 4 || ihl < kIpv4MinHeader || ihl > received.size()) return std::nullopt;
    if (std::to_integer<uint8_t>(received[9]) != kProtoIcmpNumber) return std::nullopt;
    icmp = received.subspan(ihl);
  }
  if (icmp.size() < kEchoHeader) return std::nullopt;
  uint8_t type = std::to_integer<uint8_t>(icmp[0]);
  uint8_t code = std::to_integer<uint8_t>(icmp[1]);
  if (type != (v6 ? kIcmpv6EchoReply : kIcmpEchoReply) || code != 0) return std::nullopt;
  return EchoReply{.id = Be16(icmp, 4), .seq = Be16(icmp, 6), .data = icmp.subspan(kEchoHeader)};
}

size_t WriteEchoRequest(std::span<uint8_t> out, bool v6, uint16_t id, uint16_t seq, ByteSpan data) {
  if (out.size() < kEchoHeader || out.size() - kEchoHeader < data.size()) return 0;
  out[0] = v6 ? kIcmpv6EchoRequest : kIcmpEchoRequest;
  out[1] = 0;
  out[2] = out[3] = 0;
  out[4] = static_cast<uint8_t>(id >> 8);
  out[5] = static_cast<uint8_t>(id);
  out[6] = static_cast<uint8_t>(seq >> 8);
  out[7] = static_cast<uint8_t>(seq);
  if (!data.empty()) std::memcpy(out.data() + kEchoHeader, data.data(), data.size());
  size_t len = kEchoHeader + data.size();
  if (!v6) {
    uint16_t sum = InternetChecksum(out.first(len));
    out[2] = static_cast<uint8_t>(sum >> 8);
    out[3] = static_cast<uint8_t>(sum);
  }
  return len;
}

}  // namespace krata::net
