#include "ctl/zone_commands.h"

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <set>

#include "ctl/console.h"
#include "ctl/host_network.h"

namespace krata::ctl {
namespace {

namespace common = v1::common;
namespace control = v1::control;

int Fail(const std::string& message) {
  std::fprintf(stderr, "kratactl: %s\n", message.c_str());
  return 1;
}

bool Terminal(const common::ZoneState s) {
  return s == common::ZONE_STATE_EXITED || s == common::ZONE_STATE_FAILED ||
         s == common::ZONE_STATE_DESTROYED;
}

std::string StateName(common::ZoneState s) {
  std::string name = common::ZoneState_Name(s);
  std::string_view prefix = "ZONE_STATE_";
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

common::OciImageFormat ParseFormat(const std::string& f) {
  return f == "erofs" ? common::OCI_IMAGE_FORMAT_EROFS : common::OCI_IMAGE_FORMAT_SQUASHFS;
}

// Waits until the zone stops. Returns its last state; DESTROYED when it is gone.
Result<common::Zone> WaitForEnd(Connection& conn, const std::string& id) {
  grpc::ClientContext ctx;
  auto stream = conn.stub->WatchEvents(&ctx, control::WatchEventsRequest());
  stream->WaitForInitialMetadata();  // subscribed: the GetZone below cannot race an event
  auto done = [&](common::Zone zone) -> Result<common::Zone> {
    ctx.TryCancel();
    control::WatchEventsReply rest;
    while (stream->Read(&rest)) {
    }
    (void)stream->Finish();
    return zone;
  };
  grpc::ClientContext get_ctx;
  control::GetZoneRequest req;
  req.set_zone_id(id);
  control::GetZoneReply reply;
  grpc::Status st = conn.stub->GetZone(&get_ctx, req, &reply);
  if (st.error_code() == grpc::StatusCode::NOT_FOUND) {
    common::Zone gone;
    gone.set_id(id);
    gone.mutable_status()->set_state(common::ZONE_STATE_DESTROYED);
    return done(gone);
  }
  if (!st.ok()) {
    (void)done(common::Zone());
    return Error::Invalid("get zone", StatusText(st));
  }
  if (Terminal(reply.zone().status().state())) return done(reply.zone());
  control::WatchEventsReply ev;
  while (stream->Read(&ev)) {
    const common::Zone& z = ev.zone_changed().zone();
    if (z.id() == id && Terminal(z.status().state())) return done(z);
  }
  st = stream->Finish();
  return Error::Invalid("watch", StatusText(st));
}

// The zone's final state after its console ended.
int ExitAfterAttach(Connection& conn, const std::string& id) {
  Result<common::Zone> zone = WaitForEnd(conn, id);
  if (!zone.has_value()) return Fail(zone.error().ToString());
  return ZoneExitCode(*zone);
}

// Pulls; the digest, or an error already printed (empty).
std::string Pull(Connection& conn, const std::string& image, const std::string& format) {
  grpc::ClientContext ctx;
  control::PullImageRequest req;
  req.set_image(image);
  req.set_format(ParseFormat(format));
  auto stream = conn.stub->PullImage(&ctx, req);
  bool progress = ::isatty(STDERR_FILENO) != 0;
  control::PullImageReply reply;
  std::string digest;
  while (stream->Read(&reply)) {
    if (reply.has_final()) digest = reply.final().digest();
    if (progress && reply.has_progress()) {
      const control::ImageProgress& p = reply.progress();
      std::fprintf(stderr, "\r\033[Kpull %s: %s", image.c_str(), p.phase().c_str());
      if (p.total() > 0) {
        std::fprintf(stderr, " %llu/%llu KiB", static_cast<unsigned long long>(p.done() >> 10),
                     static_cast<unsigned long long>(p.total() >> 10));
      }
    }
  }
  if (progress) std::fprintf(stderr, "\r\033[K");
  grpc::Status st = stream->Finish();
  if (!st.ok()) {
    Fail("pull " + image + ": " + StatusText(st));
    return {};
  }
  if (digest.empty()) Fail("pull " + image + ": the daemon sent no digest");
  return digest;
}

}  // namespace

int ZoneExitCode(const common::Zone& zone) {
  const common::ZoneStatus& s = zone.status();
  switch (s.state()) {
    case common::ZONE_STATE_EXITED:
      if (s.has_error_status()) return Fail("zone exited: " + s.error_status().message());
      if (s.exit_status().signal() != 0) {
        int sig = s.exit_status().signal();
        const char* abbrev = ::sigabbrev_np(sig);
        std::fprintf(stderr, "kratactl: zone killed by signal %d (SIG%s)\n", sig,
                     abbrev != nullptr ? abbrev : "?");
        return 128 + sig;
      }
      return s.exit_status().code();
    case common::ZONE_STATE_FAILED:
      return Fail("zone failed: " + s.error_status().message());
    case common::ZONE_STATE_DESTROYED:
      return Fail("zone " + zone.id() + " was destroyed");
    default:
      return Fail("zone is " + StateName(s.state()));
  }
}

int ZoneLaunch(Connection& conn, const LaunchOptions& o) {
  // Checked before the pull, which can take long.
  std::vector<common::ZonePortForward> ports;
  for (const std::string& text : o.ports) {
    Result<common::ZonePortForward> p = ParsePortForward(text);
    if (!p.has_value()) return Fail(p.error().ToString());
    ports.push_back(*p);
  }
  std::string digest = Pull(conn, o.image, o.format);
  if (digest.empty()) return 1;
  control::CreateZoneRequest req;
  common::ZoneSpec* spec = req.mutable_spec();
  spec->set_name(o.name);
  common::ZoneOciImageSpec* image = spec->mutable_image()->mutable_oci();
  image->set_digest(digest);
  image->set_format(ParseFormat(o.format));
  image->set_reference(o.image);
  spec->mutable_initial_resources()->set_memory_mib(o.memory_mib);
  spec->mutable_initial_resources()->set_cpus(o.cpus);
  common::ZoneTaskSpec* task = spec->mutable_task();
  for (const std::string& kv : o.env) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return Fail("--env " + kv + ": expected KEY=VALUE");
    common::ZoneTaskSpecEnvVar* var = task->add_environment();
    var->set_key(kv.substr(0, eq));
    var->set_value(kv.substr(eq + 1));
  }
  for (const std::string& c : o.command) task->add_command(c);
  task->set_working_directory(o.working_directory);
  task->set_user(o.user);
  spec->set_kernel_path(o.kernel);
  spec->set_initrd_path(o.initrd);
  for (const common::ZonePortForward& p : ports) *spec->add_ports() = p;

  grpc::ClientContext ctx;
  control::CreateZoneReply reply;
  grpc::Status st = conn.stub->CreateZone(&ctx, req, &reply);
  if (!st.ok()) return Fail("create zone: " + StatusText(st));
  const std::string& id = reply.zone_id();
  if (o.attach) {
    Result<AttachEnd> end = AttachConsole(conn, id, /*replay=*/true);
    if (!end.has_value()) return Fail(end.error().ToString());
    if (*end == AttachEnd::kDetached) {
      std::fprintf(stderr, "\r\nkratactl: detached from zone %s\n", id.c_str());
      return 0;
    }
    return ExitAfterAttach(conn, id);
  }
  if (o.wait) return ExitAfterAttach(conn, id);
  std::printf("%s\n", id.c_str());
  return 0;
}

int ZoneList(Connection& conn, const std::string& format) {
  grpc::ClientContext ctx;
  control::ListZonesReply reply;
  grpc::Status st = conn.stub->ListZones(&ctx, control::ListZonesRequest(), &reply);
  if (!st.ok()) return Fail("list zones: " + StatusText(st));
  if (format == "json") {
    std::string json;
    google::protobuf::util::JsonPrintOptions opts;
    opts.add_whitespace = true;
    opts.preserve_proto_field_names = true;
    if (!google::protobuf::util::MessageToJsonString(reply, &json, opts).ok()) {
      return Fail("list zones: cannot encode JSON");
    }
    std::fputs(json.c_str(), stdout);
    return 0;
  }
  if (reply.zones().empty()) {
    std::printf("no zones\n");
    return 0;
  }
  std::printf("%-20s %-36s %-10s %-6s %-15s %-24s %s\n", "NAME", "ID", "STATE", "DOMID", "IPV4",
              "IPV6", "EXIT");
  for (const common::Zone& z : reply.zones()) {
    const common::ZoneStatus& s = z.status();
    std::string exit;
    if (s.has_error_status()) {
      exit = s.error_status().message();
    } else if (s.has_exit_status()) {
      exit = s.exit_status().signal() != 0 ? "signal " + std::to_string(s.exit_status().signal())
                                           : std::to_string(s.exit_status().code());
    }
    std::string domid = s.state() == common::ZONE_STATE_CREATED ? std::to_string(s.domid()) : "-";
    // Addresses without the prefix: the subnet is the same for every zone (host status).
    auto address = [](const std::string& cidr) {
      return cidr.empty() ? std::string("-") : cidr.substr(0, cidr.find('/'));
    };
    std::printf("%-20s %-36s %-10s %-6s %-15s %-24s %s\n",
                z.spec().name().empty() ? "-" : z.spec().name().c_str(), z.id().c_str(),
                StateName(s.state()).c_str(), domid.c_str(),
                address(s.network_status().zone_ipv4()).c_str(),
                address(s.network_status().zone_ipv6()).c_str(), exit.c_str());
  }
  return 0;
}

int ZoneDestroy(Connection& conn, const std::vector<std::string>& zones, bool wait) {
  int rc = 0;
  std::vector<std::string> ids;
  for (const std::string& z : zones) {
    Result<std::string> id = ResolveZone(conn, z);
    if (!id.has_value()) {
      rc = Fail(id.error().ToString());
      continue;
    }
    grpc::ClientContext ctx;
    control::DestroyZoneRequest req;
    req.set_zone_id(*id);
    control::DestroyZoneReply reply;
    grpc::Status st = conn.stub->DestroyZone(&ctx, req, &reply);
    if (!st.ok()) {
      rc = Fail("destroy " + z + ": " + StatusText(st));
      continue;
    }
    ids.push_back(*id);
  }
  if (!wait) return rc;
  for (const std::string& id : ids) {
    // Destroyed zones are deleted: wait until GetZone says NOT_FOUND (WaitForEnd's DESTROYED),
    // watching events for the DESTROYED one.
    grpc::ClientContext ctx;
    auto stream = conn.stub->WatchEvents(&ctx, control::WatchEventsRequest());
    stream->WaitForInitialMetadata();
    grpc::ClientContext get_ctx;
    control::GetZoneRequest req;
    req.set_zone_id(id);
    control::GetZoneReply reply;
    bool gone =
        conn.stub->GetZone(&get_ctx, req, &reply).error_code() == grpc::StatusCode::NOT_FOUND;
    control::WatchEventsReply ev;
    while (!gone && stream->Read(&ev)) {
      const common::Zone& z = ev.zone_changed().zone();
      gone = z.id() == id && z.status().state() == common::ZONE_STATE_DESTROYED;
    }
    ctx.TryCancel();
    while (stream->Read(&ev)) {
    }
    (void)stream->Finish();
    if (!gone) rc = Fail("destroy " + id + ": lost the event stream");
  }
  return rc;
}

int ZoneLogs(Connection& conn, const std::string& zone, bool follow) {
  Result<std::string> id = ResolveZone(conn, zone);
  if (!id.has_value()) return Fail(id.error().ToString());
  grpc::ClientContext ctx;
  control::ReadZoneConsoleRequest req;
  req.set_zone_id(*id);
  req.set_follow(follow);
  auto stream = conn.stub->ReadZoneConsole(&ctx, req);
  control::ZoneConsoleReply reply;
  while (stream->Read(&reply)) {
    std::fwrite(reply.data().data(), 1, reply.data().size(), stdout);
    std::fflush(stdout);
  }
  grpc::Status st = stream->Finish();
  if (!st.ok()) return Fail("logs: " + StatusText(st));
  return 0;
}

int ZoneAttach(Connection& conn, const std::string& zone) {
  Result<std::string> id = ResolveZone(conn, zone);
  if (!id.has_value()) return Fail(id.error().ToString());
  // The same replay as launch --attach and logs (upstream attach skipped it, #358).
  Result<AttachEnd> end = AttachConsole(conn, *id, /*replay=*/true);
  if (!end.has_value()) return Fail(end.error().ToString());
  if (*end == AttachEnd::kDetached) {
    std::fprintf(stderr, "\r\nkratactl: detached from zone %s\n", id->c_str());
    return 0;
  }
  return ExitAfterAttach(conn, *id);
}

int ImagePull(Connection& conn, const std::string& image, const std::string& format) {
  std::string digest = Pull(conn, image, format);
  if (digest.empty()) return 1;
  std::printf("%s\n", digest.c_str());
  return 0;
}

}  // namespace krata::ctl
