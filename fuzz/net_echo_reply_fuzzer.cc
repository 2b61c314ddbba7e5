// Fuzzes ParseEchoReply with what a ping or raw socket could return. The first input byte
// picks the mode (bit 0: ICMPv6, bit 1: raw IPv4 with its header). Invariants: the data view
// lies inside the input and ends where it does, and an echo request we write, turned into a
// reply, parses back to the same id, seq and data.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "net/nat/echo_reply.h"

using namespace krata;
using namespace krata::net;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool v6 = (data[0] & 1) != 0;
  bool ip_header = !v6 && (data[0] & 2) != 0;
  ByteSpan in(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  std::optional<EchoReply> r = ParseEchoReply(in, v6, ip_header);
  if (r.has_value()) {
    if (r->data.data() < in.data() || r->data.data() + r->data.size() != in.data() + in.size()) {
      std::abort();
    }
    if (r->data.size() + 8 > in.size()) std::abort();
  }

  // Round trip: the input's tail as echo data.
  uint16_t id = size > 2 ? static_cast<uint16_t>(data[1] << 8 | data[2]) : 0;
  std::vector<uint8_t> msg(8 + in.size());
  size_t len = WriteEchoRequest(msg, v6, id, static_cast<uint16_t>(size), in);
  if (len != msg.size()) std::abort();
  msg[0] = v6 ? 129 : 0;  // echo reply
  std::optional<EchoReply> back =
      ParseEchoReply(ByteSpan(reinterpret_cast<const std::byte*>(msg.data()), len), v6, false);
  if (!back.has_value() || back->id != id || back->seq != static_cast<uint16_t>(size) ||
      back->data.size() != in.size() ||
      (!in.empty() && std::memcmp(back->data.data(), in.data(), in.size()) != 0)) {
    std::abort();
  }
  return 0;
}
