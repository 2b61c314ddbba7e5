#pragma once
// XsClient: request/response calls to xenstored over a Transport.
// Thread-safety: one caller at a time (callers serialise; the daemon owns one per thread).

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "xen/store/transport.h"
#include "xen/store/wire.h"

namespace krata::xen::store {

class XsClient {
 public:
  explicit XsClient(std::unique_ptr<Transport> transport) : transport_(std::move(transport)) {}
  static Result<XsClient> ConnectDefault();

  Result<std::string> Read(std::string_view path);
  Status Write(std::string_view path, std::string_view value);
  Status Mkdir(std::string_view path);
  Status Rm(std::string_view path);
  Result<std::vector<std::string>> Directory(std::string_view path);

  // One request, one reply payload; XS_ERROR replies become Errors carrying the errno.
  Result<std::string> Call(XsType type, std::string payload, uint32_t tx_id = 0);

 private:
  std::unique_ptr<Transport> transport_;
  uint32_t next_req_id_ = 1;
};

}  // namespace krata::xen::store
