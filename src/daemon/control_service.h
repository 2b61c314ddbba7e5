#pragma once
// ControlService: the gRPC API (proto/krata/v1/control.proto) over ZoneManager, the image
// service, the console hub and the event bus. Synchronous gRPC: each streaming call holds a
// server thread; waits on hubs are sliced (kStreamSlice) only to notice cancelled clients.

#include <string>

#include "daemon/console_hub.h"
#include "daemon/event_bus.h"
#include "daemon/image_service.h"
#include "daemon/zone_manager.h"
#include "krata/v1/control.grpc.pb.h"

namespace krata::daemon {

struct HostInfo {
  std::string uuid;
  std::string version;
};

class ControlService final : public v1::control::ControlService::Service {
 public:
  ControlService(ZoneManager& zones, ImageService* images, ConsoleHub& consoles, EventBus& events,
                 HostInfo host)
      : zones_(zones), images_(images), consoles_(consoles), events_(events), host_(host) {}

  grpc::Status GetHostStatus(grpc::ServerContext* ctx, const v1::control::GetHostStatusRequest* req,
                             v1::control::GetHostStatusReply* reply) override;
  grpc::Status PullImage(grpc::ServerContext* ctx, const v1::control::PullImageRequest* req,
                         grpc::ServerWriter<v1::control::PullImageReply>* writer) override;
  grpc::Status CreateZone(grpc::ServerContext* ctx, const v1::control::CreateZoneRequest* req,
                          v1::control::CreateZoneReply* reply) override;
  grpc::Status DestroyZone(grpc::ServerContext* ctx, const v1::control::DestroyZoneRequest* req,
                           v1::control::DestroyZoneReply* reply) override;
  grpc::Status ResolveZoneId(grpc::ServerContext* ctx, const v1::control::ResolveZoneIdRequest* req,
                             v1::control::ResolveZoneIdReply* reply) override;
  grpc::Status GetZone(grpc::ServerContext* ctx, const v1::control::GetZoneRequest* req,
                       v1::control::GetZoneReply* reply) override;
  grpc::Status ListZones(grpc::ServerContext* ctx, const v1::control::ListZonesRequest* req,
                         v1::control::ListZonesReply* reply) override;
  grpc::Status AttachZoneConsole(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::control::ZoneConsoleReply, v1::control::ZoneConsoleRequest>*
          stream) override;
  grpc::Status ReadZoneConsole(grpc::ServerContext* ctx,
                               const v1::control::ReadZoneConsoleRequest* req,
                               grpc::ServerWriter<v1::control::ZoneConsoleReply>* writer) override;
  grpc::Status WatchEvents(grpc::ServerContext* ctx, const v1::control::WatchEventsRequest* req,
                           grpc::ServerWriter<v1::control::WatchEventsReply>* writer) override;

 private:
  ZoneManager& zones_;
  ImageService* images_;  // null: PullImage is UNIMPLEMENTED
  ConsoleHub& consoles_;
  EventBus& events_;
  HostInfo host_;
};

}  // namespace krata::daemon
