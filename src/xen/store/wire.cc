#include "xen/store/wire.h"

#include <cerrno>
#include <cstring>

namespace krata::xen::store {

Result<std::string> Encode(const XsMessage& msg) {
  if (msg.payload.size() > abi::kXsPayloadMax) {
    return Error::Invalid("xenstore encode", "payload of " + std::to_string(msg.payload.size()) +
                                                 " bytes exceeds XENSTORE_PAYLOAD_MAX");
  }
  abi::XsMsgHeader h{static_cast<uint32_t>(msg.type), msg.req_id, msg.tx_id,
                     static_cast<uint32_t>(msg.payload.size())};
  std::string out(sizeof h, '\0');
  std::memcpy(out.data(), &h, sizeof h);
  out += msg.payload;
  return out;
}

Result<abi::XsMsgHeader> DecodeHeader(ByteSpan header) {
  if (header.size() < sizeof(abi::XsMsgHeader)) {
    return Error::Invalid("xenstore decode", "short header");
  }
  abi::XsMsgHeader h;
  std::memcpy(&h, header.data(), sizeof h);
  if (h.len > abi::kXsPayloadMax) {
    return Error::Invalid("xenstore decode",
                          "payload length " + std::to_string(h.len) + " exceeds 4096");
  }
  return h;
}

void XsDecoder::Feed(ByteSpan bytes) {
  if (!failed_) buf_.append(AsChars(bytes));
}

Result<std::optional<XsMessage>> XsDecoder::Next() {
  if (failed_) return Error::Invalid("xenstore decode", "stream already failed");
  if (buf_.size() < sizeof(abi::XsMsgHeader)) return std::optional<XsMessage>();
  Result<abi::XsMsgHeader> h = DecodeHeader(AsBytes(buf_));
  if (!h.has_value()) {
    failed_ = true;
    buf_.clear();
    return std::move(h.error());
  }
  size_t total = sizeof(abi::XsMsgHeader) + h->len;
  if (buf_.size() < total) return std::optional<XsMessage>();
  XsMessage msg{static_cast<XsType>(h->type), h->req_id, h->tx_id,
                buf_.substr(sizeof(abi::XsMsgHeader), h->len)};
  buf_.erase(0, total);
  return std::optional<XsMessage>(std::move(msg));
}

std::string PathPayload(std::string_view path) {
  std::string p(path);
  p.push_back('\0');
  return p;
}

std::vector<std::string> SplitNul(std::string_view payload) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < payload.size()) {
    size_t end = payload.find('\0', start);
    if (end == std::string_view::npos) end = payload.size();
    out.emplace_back(payload.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

int ErrnoFromXsError(std::string_view payload) {
  // The names xenstored sends (xsd_errors in xs_wire.h).
  static constexpr struct {
    const char* name;
    int value;
  } kErrors[] = {{"EINVAL", EINVAL}, {"EACCES", EACCES}, {"EEXIST", EEXIST},
                 {"EISDIR", EISDIR}, {"ENOENT", ENOENT}, {"ENOMEM", ENOMEM},
                 {"ENOSPC", ENOSPC}, {"EIO", EIO},       {"ENOTEMPTY", ENOTEMPTY},
                 {"ENOSYS", ENOSYS}, {"EROFS", EROFS},   {"EBUSY", EBUSY},
                 {"EAGAIN", EAGAIN}, {"EISCONN", EISCONN}, {"E2BIG", E2BIG},
                 {"EPERM", EPERM}};
  std::string_view name = payload.substr(0, payload.find('\0'));
  for (const auto& e : kErrors) {
    if (name == e.name) return e.value;
  }
  return EINVAL;
}

}  // namespace krata::xen::store
