#include "daemon/control_service.h"

#include <mutex>
#include <thread>

#include "base/log.h"
#include "daemon/grpc_status.h"

namespace krata::daemon {
namespace {

namespace common = v1::common;
namespace control = v1::control;

// How often a streaming call looks at its client's cancellation while idle.
constexpr std::chrono::milliseconds kStreamSlice{500};

std::string FormatName(common::OciImageFormat f) {
  switch (f) {
    case common::OCI_IMAGE_FORMAT_UNKNOWN:
    case common::OCI_IMAGE_FORMAT_SQUASHFS:
      return "squashfs";
    case common::OCI_IMAGE_FORMAT_EROFS:
      return "erofs";
    default:
      return "";
  }
}

grpc::Status NoZone() { return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no zone id"); }

}  // namespace

grpc::Status ControlService::GetHostStatus(grpc::ServerContext*,
                                           const control::GetHostStatusRequest*,
                                           control::GetHostStatusReply* reply) {
  reply->set_host_uuid(host_.uuid);
  reply->set_host_domid(0);
  reply->set_krata_version(host_.version);
  const HostNetwork& n = zones_.host_network();
  reply->set_ipv4_subnet(net::ToString(n.ipv4));
  reply->set_ipv6_subnet(net::ToString(n.ipv6));
  reply->set_gateway_ipv4(net::ToString(n.gateway4));
  reply->set_gateway_ipv6(net::ToString(n.gateway6));
  reply->set_gateway_mac(net::ToString(n.gateway_mac));
  reply->set_host_ipv4(net::ToString(n.host4));
  reply->set_host_ipv6(net::ToString(n.host6));
  reply->set_host_mac(net::ToString(n.host_mac));
  return grpc::Status::OK;
}

grpc::Status ControlService::PullImage(grpc::ServerContext* ctx,
                                       const control::PullImageRequest* req,
                                       grpc::ServerWriter<control::PullImageReply>* writer) {
  if (images_ == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "kratad was built without krata-oci");
  }
  std::string format = FormatName(req->format());
  if (format.empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unknown format");
  if (req->image().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no image");
  std::mutex write_mu;  // the packer may report from its own threads
  Result<PulledImage> pulled = images_->Pull(req->image(), format, [&](const PullProgress& p) {
    if (ctx->IsCancelled()) return;
    control::PullImageReply reply;
    control::ImageProgress* progress = reply.mutable_progress();
    progress->set_phase(p.phase);
    progress->set_done(p.done);
    progress->set_total(p.total);
    progress->set_detail(p.detail);
    std::lock_guard<std::mutex> l(write_mu);
    writer->Write(reply);
  });
  if (!pulled.has_value()) return ToGrpcStatus(pulled.error());
  control::PullImageReply reply;
  reply.mutable_progress()->set_phase("done");
  reply.mutable_final()->set_digest(pulled->digest);
  reply.mutable_final()->set_format(pulled->format == "erofs" ? common::OCI_IMAGE_FORMAT_EROFS
                                                              : common::OCI_IMAGE_FORMAT_SQUASHFS);
  std::lock_guard<std::mutex> l(write_mu);
  writer->Write(reply);
  return grpc::Status::OK;
}

grpc::Status ControlService::CreateZone(grpc::ServerContext*, const control::CreateZoneRequest* req,
                                        control::CreateZoneReply* reply) {
  Result<std::string> id = zones_.Create(req->spec());
  if (!id.has_value()) return ToGrpcStatus(id.error());
  reply->set_zone_id(*id);
  return grpc::Status::OK;
}

grpc::Status ControlService::DestroyZone(grpc::ServerContext*,
                                         const control::DestroyZoneRequest* req,
                                         control::DestroyZoneReply*) {
  if (req->zone_id().empty()) return NoZone();
  Status st = zones_.Destroy(req->zone_id());
  if (!st.has_value()) return ToGrpcStatus(st.error());
  return grpc::Status::OK;
}

grpc::Status ControlService::ResolveZoneId(grpc::ServerContext*,
                                           const control::ResolveZoneIdRequest* req,
                                           control::ResolveZoneIdReply* reply) {
  Result<std::string> id = zones_.Resolve(req->name());
  if (!id.has_value()) return ToGrpcStatus(id.error());
  reply->set_zone_id(*id);
  return grpc::Status::OK;
}

grpc::Status ControlService::GetZone(grpc::ServerContext*, const control::GetZoneRequest* req,
                                     control::GetZoneReply* reply) {
  Result<common::Zone> zone = zones_.Get(req->zone_id());
  if (!zone.has_value()) return ToGrpcStatus(zone.error());
  *reply->mutable_zone() = std::move(*zone);
  return grpc::Status::OK;
}

grpc::Status ControlService::ListZones(grpc::ServerContext*, const control::ListZonesRequest*,
                                       control::ListZonesReply* reply) {
  Result<std::vector<common::Zone>> zones = zones_.List();
  if (!zones.has_value()) return ToGrpcStatus(zones.error());
  for (common::Zone& z : *zones) *reply->add_zones() = std::move(z);
  return grpc::Status::OK;
}

grpc::Status ControlService::AttachZoneConsole(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<control::ZoneConsoleReply, control::ZoneConsoleRequest>* stream) {
  control::ZoneConsoleRequest first;
  if (!stream->Read(&first)) return grpc::Status::OK;
  std::string id = first.zone_id();
  if (id.empty()) return NoZone();
  Result<common::Zone> zone = zones_.Get(id);
  if (!zone.has_value()) return ToGrpcStatus(zone.error());

  std::shared_ptr<ConsoleSubscription> sub =
      consoles_.Subscribe(id, first.replay_history(), /*follow=*/true);
  auto write_input = [&](const std::string& data) {
    if (data.empty()) return;
    Status st = zones_.WriteConsole(id, data);
    if (!st.has_value()) spdlog::debug("attach {}: {}", id, st.error().ToString());
  };
  write_input(first.data());
  // Input runs on its own thread: sync gRPC allows one reader and one writer at a time.
  std::thread input([&] {
    control::ZoneConsoleRequest req;
    while (stream->Read(&req)) write_input(req.data());
    // The client closed its side: after our eof (normal), or by going away.
    if (ctx->IsCancelled()) sub->Cancel();
  });
  grpc::Status status = grpc::Status::OK;
  bool eof_sent = false;
  for (;;) {
    std::string data;
    ConsoleSubscription::Event ev = sub->Wait(&data, kStreamSlice);
    if (ev == ConsoleSubscription::Event::kData) {
      control::ZoneConsoleReply reply;
      reply.set_data(std::move(data));
      if (!stream->Write(reply)) break;
      continue;
    }
    if (ev == ConsoleSubscription::Event::kTimeout) {
      if (ctx->IsCancelled()) break;
      continue;
    }
    if (ev == ConsoleSubscription::Event::kOverflow) {
      status = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            "console reader too slow: output dropped, reattach");
    }
    control::ZoneConsoleReply reply;
    reply.set_eof(true);
    eof_sent = stream->Write(reply);
    break;
  }
  if (!eof_sent) ctx->TryCancel();  // unblocks the input thread's Read
  input.join();
  return status;
}

grpc::Status ControlService::ReadZoneConsole(
    grpc::ServerContext* ctx, const control::ReadZoneConsoleRequest* req,
    grpc::ServerWriter<control::ZoneConsoleReply>* writer) {
  if (req->zone_id().empty()) return NoZone();
  Result<common::Zone> zone = zones_.Get(req->zone_id());
  if (!zone.has_value()) return ToGrpcStatus(zone.error());
  std::shared_ptr<ConsoleSubscription> sub =
      consoles_.Subscribe(req->zone_id(), /*replay=*/true, req->follow());
  for (;;) {
    std::string data;
    ConsoleSubscription::Event ev = sub->Wait(&data, kStreamSlice);
    switch (ev) {
      case ConsoleSubscription::Event::kData: {
        control::ZoneConsoleReply reply;
        reply.set_data(std::move(data));
        if (!writer->Write(reply)) return grpc::Status::OK;
        break;
      }
      case ConsoleSubscription::Event::kTimeout:
        if (ctx->IsCancelled()) return grpc::Status::OK;
        break;
      case ConsoleSubscription::Event::kOverflow:
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "console reader too slow");
      case ConsoleSubscription::Event::kEnd:
        return grpc::Status::OK;
    }
  }
}

grpc::Status ControlService::WatchEvents(grpc::ServerContext* ctx,
                                         const control::WatchEventsRequest*,
                                         grpc::ServerWriter<control::WatchEventsReply>* writer) {
  std::shared_ptr<EventSubscription> sub = events_.Subscribe();
  // Send the initial metadata now, so a client knows it is subscribed once the call starts.
  writer->SendInitialMetadata();
  for (;;) {
    common::Zone zone;
    switch (sub->Wait(&zone, kStreamSlice)) {
      case EventSubscription::Event::kZone: {
        control::WatchEventsReply reply;
        *reply.mutable_zone_changed()->mutable_zone() = std::move(zone);
        if (!writer->Write(reply)) return grpc::Status::OK;
        break;
      }
      case EventSubscription::Event::kTimeout:
        if (ctx->IsCancelled()) return grpc::Status::OK;
        break;
      case EventSubscription::Event::kOverflow:
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "event reader too slow");
      case EventSubscription::Event::kEnd:
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "kratad is stopping");
    }
  }
}

}  // namespace krata::daemon
