#include "ctl/client.h"

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <cerrno>

namespace krata::ctl {
namespace {

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
      return "cancelled";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "invalid argument";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "deadline exceeded";
    case grpc::StatusCode::NOT_FOUND:
      return "not found";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "already exists";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "permission denied";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "resource exhausted";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "failed precondition";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "unimplemented";
    case grpc::StatusCode::INTERNAL:
      return "internal";
    case grpc::StatusCode::UNAVAILABLE:
      return "unavailable";
    default:
      return "error";
  }
}

}  // namespace

Result<Connection> Connect(const std::string& url) {
  std::string target;
  if (url.rfind("unix:", 0) == 0) {
    target = url;  // gRPC's own syntax: unix:///abs or unix:rel
  } else if (url.rfind("tcp://", 0) == 0) {
    target = url.substr(6);
  } else {
    return Error::FromErrno("connection", EINVAL,
                            "\"" + url + "\": use unix:///path or tcp://host:port");
  }
  if (url.rfind("unix://", 0) == 0) {
    // A missing socket needs no 3 s wait to be reported.
    struct stat st {};
    if (::stat(url.substr(7).c_str(), &st) != 0) {
      return Error::Invalid("connect", "cannot reach kratad at " + url + ": is it running?");
    }
  }
  Connection c;
  c.url = url;
  c.channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  if (!c.channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(3))) {
    return Error::Invalid("connect", "cannot reach kratad at " + url + ": is it running?");
  }
  c.stub = v1::control::ControlService::NewStub(c.channel);
  return c;
}

std::string StatusText(const grpc::Status& status) {
  return std::string(CodeName(status.error_code())) + ": " + status.error_message();
}

Result<std::string> ResolveZone(Connection& conn, const std::string& name_or_id) {
  grpc::ClientContext ctx;
  v1::control::ResolveZoneIdRequest req;
  req.set_name(name_or_id);
  v1::control::ResolveZoneIdReply reply;
  grpc::Status st = conn.stub->ResolveZoneId(&ctx, req, &reply);
  if (!st.ok()) return Error::FromErrno("resolve", EIO, StatusText(st));
  if (reply.zone_id().empty()) {
    return Error::FromErrno("resolve", ENOENT, "no zone named \"" + name_or_id + "\"");
  }
  return reply.zone_id();
}

}  // namespace krata::ctl
