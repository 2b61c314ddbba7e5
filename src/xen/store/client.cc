#include "xen/store/client.h"

namespace krata::xen::store {

Result<XsClient> XsClient::ConnectDefault() {
  return XsClient(TRY(store::ConnectDefault()));
}

Result<std::string> XsClient::Call(XsType type, std::string payload, uint32_t tx_id) {
  uint32_t req_id = next_req_id_++;
  std::string wire = TRY(Encode(XsMessage{type, req_id, tx_id, std::move(payload)}));
  TRY(transport_->Write(wire));
  for (;;) {
    std::byte header[sizeof(abi::XsMsgHeader)];
    TRY(transport_->Read(header, sizeof header));
    abi::XsMsgHeader h = TRY(DecodeHeader(header));
    std::string body(h.len, '\0');
    if (h.len > 0) TRY(transport_->Read(body.data(), h.len));
    // Watch events may arrive between a request and its reply; this client sets no
    // watches, so they are skipped.
    if (h.type == static_cast<uint32_t>(XsType::kWatchEvent)) continue;
    if (h.req_id != req_id) {
      return Error::Invalid("xenstore", "reply for request " + std::to_string(h.req_id) +
                                            ", expected " + std::to_string(req_id));
    }
    if (h.type == static_cast<uint32_t>(XsType::kError)) {
      return Error::FromErrno("xenstore", ErrnoFromXsError(body));
    }
    if (h.type != static_cast<uint32_t>(type)) {
      return Error::Invalid("xenstore", "reply type " + std::to_string(h.type) +
                                            " to request type " +
                                            std::to_string(static_cast<uint32_t>(type)));
    }
    return body;
  }
}

Result<std::string> XsClient::Read(std::string_view path) {
  Result<std::string> r = Call(XsType::kRead, PathPayload(path));
  if (!r.has_value()) return std::move(r.error()).With(std::string(path));
  return r;
}

Status XsClient::Write(std::string_view path, std::string_view value) {
  std::string payload = PathPayload(path);
  payload += value;  // the value is not NUL-terminated
  Result<std::string> r = Call(XsType::kWrite, std::move(payload));
  if (!r.has_value()) return std::move(r.error()).With(std::string(path));
  return {};
}

Status XsClient::Mkdir(std::string_view path) {
  Result<std::string> r = Call(XsType::kMkdir, PathPayload(path));
  if (!r.has_value()) return std::move(r.error()).With(std::string(path));
  return {};
}

Status XsClient::Rm(std::string_view path) {
  Result<std::string> r = Call(XsType::kRm, PathPayload(path));
  if (!r.has_value()) return std::move(r.error()).With(std::string(path));
  return {};
}

Result<std::vector<std::string>> XsClient::Directory(std::string_view path) {
  Result<std::string> r = Call(XsType::kDirectory, PathPayload(path));
  if (!r.has_value()) return std::move(r.error()).With(std::string(path));
  return SplitNul(*r);
}

}  // namespace krata::xen::store
