#pragma once
// xenstore wire codec: pure functions, no I/O, so the client, the fake xenstored in tests
// and the fuzzer share it. Layout: xen/include/public/io/xs_wire.h.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "xen/abi/xs_wire.h"

namespace krata::xen::store {

using abi::XsType;

struct XsMessage {
  XsType type = XsType::kRead;
  uint32_t req_id = 0;
  uint32_t tx_id = 0;
  std::string payload;
};

// Header + payload; payloads over XENSTORE_PAYLOAD_MAX are refused.
Result<std::string> Encode(const XsMessage& msg);

// Validates a 16-byte header read from xenstored (or from a guest ring): `len` is capped at
// XENSTORE_PAYLOAD_MAX so a hostile peer cannot make us allocate without bound.
Result<abi::XsMsgHeader> DecodeHeader(ByteSpan header);

// Incremental decoder for a byte stream that may split messages anywhere.
class XsDecoder {
 public:
  void Feed(ByteSpan bytes);
  // The next complete message, nullopt if more bytes are needed, or an Error if the stream
  // is malformed (the decoder then stays failed).
  Result<std::optional<XsMessage>> Next();
  size_t buffered() const { return buf_.size(); }

 private:
  std::string buf_;
  bool failed_ = false;
};

// Payload helpers: xenstore strings are NUL-terminated or NUL-separated.
std::string PathPayload(std::string_view path);  // "path\0"
std::vector<std::string> SplitNul(std::string_view payload);  // drops one trailing empty item

// Maps an XS_ERROR payload ("ENOENT\0") to an errno value (EINVAL for unknown names).
int ErrnoFromXsError(std::string_view payload);

}  // namespace krata::xen::store
