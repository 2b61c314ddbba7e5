// Fuzzes the xenstore stream decoder with arbitrary bytes (what a hostile guest could put on
// its ring). Invariants: every decoded payload is within XENSTORE_PAYLOAD_MAX and re-encodes
// to exactly the bytes it came from; a WATCH_EVENT payload that parses re-formats to itself.

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "xen/store/payload.h"
#include "xen/store/wire.h"

using namespace krata::xen::store;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  XsDecoder dec;
  // Feed in two pieces split by the first byte, to exercise partial buffering.
  size_t split = size > 0 ? data[0] % (size + 1) : 0;
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  dec.Feed({bytes, split});
  size_t consumed = 0;
  bool fed_rest = false;
  for (;;) {
    krata::Result<std::optional<XsMessage>> m = dec.Next();
    if (!m.has_value()) return 0;
    if (!m->has_value()) {
      if (fed_rest) break;
      dec.Feed({bytes + split, size - split});
      fed_rest = true;
      continue;
    }
    const XsMessage& msg = **m;
    if (msg.payload.size() > krata::xen::abi::kXsPayloadMax) std::abort();
    if (msg.type == XsType::kWatchEvent) {
      krata::Result<WatchEvent> ev = ParseWatchEvent(msg.payload);
      if (ev.has_value() && FormatWatchEvent(*ev) != msg.payload) std::abort();
    }
    krata::Result<std::string> wire = Encode(msg);
    if (!wire.has_value()) std::abort();
    if (consumed + wire->size() > size ||
        std::memcmp(wire->data(), data + consumed, wire->size()) != 0) {
      std::abort();
    }
    consumed += wire->size();
  }
  return 0;
}
