#pragma once
// The connection from kratactl to kratad: a gRPC channel to the daemon's socket.
// Addresses: unix:///path (default unix:///var/lib/krata/daemon.socket), unix:relative,
// or tcp://host:port (plaintext; kratad itself only listens on a unix socket so far).

#include <memory>
#include <string>

#include "base/result.h"
#include "krata/v1/control.grpc.pb.h"

namespace krata::ctl {

inline constexpr std::string_view kDefaultConnection = "unix:///var/lib/krata/daemon.socket";

struct Connection {
  std::string url;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::control::ControlService::Stub> stub;
};

// Connects and waits up to 3 s for the daemon: an error that says so when nobody answers
// ("cannot reach kratad at URL: is it running?").
Result<Connection> Connect(const std::string& url);

// "NOT_FOUND: zone abc: no such zone" style text of a failed call.
std::string StatusText(const grpc::Status& status);

// A zone id for a name or an id; ENOENT when none matches.
Result<std::string> ResolveZone(Connection& conn, const std::string& name_or_id);

}  // namespace krata::ctl
