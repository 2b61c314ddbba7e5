#pragma once
// The one place where an Error becomes a gRPC status (docs style §2, "gRPC boundary"):
// the errno picks the canonical code, the error text is the message. Upstream krata sent
// every error as UNKNOWN; clients could not tell "no such zone" from a host failure.

#include <grpcpp/support/status.h>

#include "base/error.h"

namespace krata::daemon {

grpc::StatusCode CodeForErrno(int errno_value);
grpc::Status ToGrpcStatus(const Error& error);

}  // namespace krata::daemon
