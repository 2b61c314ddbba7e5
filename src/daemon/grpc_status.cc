#include "daemon/grpc_status.h"

#include <cerrno>

namespace krata::daemon {

grpc::StatusCode CodeForErrno(int errno_value) {
  switch (errno_value) {
    case 0:  // Error::Invalid: bad input (a reference, a spec) or a broken peer
    case EINVAL:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case ENOENT:
    case ESRCH:
      return grpc::StatusCode::NOT_FOUND;
    case EEXIST:
      return grpc::StatusCode::ALREADY_EXISTS;
    case EPERM:
    case EACCES:
      return grpc::StatusCode::PERMISSION_DENIED;
    case EALREADY:
    case EBUSY:
      return grpc::StatusCode::FAILED_PRECONDITION;
    case EAGAIN:
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
      return grpc::StatusCode::UNAVAILABLE;
    case ETIMEDOUT:
      return grpc::StatusCode::DEADLINE_EXCEEDED;
    case ENOMEM:
    case ENOSPC:
    case EDQUOT:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case ECANCELED:
      return grpc::StatusCode::CANCELLED;
    case ENOSYS:
    case EOPNOTSUPP:
      return grpc::StatusCode::UNIMPLEMENTED;
    default:
      return grpc::StatusCode::INTERNAL;
  }
}

grpc::Status ToGrpcStatus(const Error& error) {
  return grpc::Status(CodeForErrno(error.errno_value()), error.ToString());
}

}  // namespace krata::daemon
