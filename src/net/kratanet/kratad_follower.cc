#include "net/kratanet/kratad_follower.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "net/kratanet/zone_from_proto.h"

namespace krata::net::kratanet {

namespace control = v1::control;

KratadFollower::KratadFollower(std::shared_ptr<grpc::Channel> channel, UpdateQueue& queue,
                               FollowOptions options)
    : channel_(std::move(channel)),
      stub_(control::ControlService::NewStub(channel_)),
      queue_(queue),
      options_(options) {}

KratadFollower::~KratadFollower() { Stop(); }

void KratadFollower::Start() {
  thread_ = std::thread([this] { Run(); });
}

void KratadFollower::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    if (watch_ctx_ != nullptr) watch_ctx_->TryCancel();
    if (list_ctx_ != nullptr) list_ctx_->TryCancel();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void KratadFollower::Run() {
  std::chrono::milliseconds backoff = options_.min_backoff;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    if (Session()) backoff = options_.min_backoff;
    std::unique_lock lock(mu_);
    if (stop_) return;
    spdlog::warn("kratad: connection lost; reconnecting in {} ms (zones stay attached)",
                 backoff.count());
    cv_.wait_for(lock, backoff, [this] { return stop_; });
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

bool KratadFollower::Session() {
  grpc::ClientContext watch_ctx;
  grpc::ClientContext list_ctx;
  {
    std::lock_guard lock(mu_);
    if (stop_) return false;
    watch_ctx_ = &watch_ctx;
    list_ctx_ = &list_ctx;
  }
  // Unregisters both on every return path, before the contexts go away.
  struct Unregister {
    KratadFollower* self;
    ~Unregister() {
      std::lock_guard lock(self->mu_);
      self->watch_ctx_ = self->list_ctx_ = nullptr;
    }
  } unregister{this};

  control::WatchEventsRequest watch_req;
  std::unique_ptr<grpc::ClientReader<control::WatchEventsReply>> reader =
      stub_->WatchEvents(&watch_ctx, watch_req);
  reader->WaitForInitialMetadata();  // kratad is subscribed once this returns

  list_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  control::ListZonesReply list;
  grpc::Status st = stub_->ListZones(&list_ctx, control::ListZonesRequest(), &list);
  if (!st.ok()) {
    spdlog::warn("kratad: ListZones: {}", st.error_message());
    watch_ctx.TryCancel();
    (void)reader->Finish();
    return false;
  }
  ++snapshots_;  // before the push: whoever pops the snapshot sees it counted
  PushSnapshot(list);
  control::WatchEventsReply event;
  while (reader->Read(&event)) {
    if (event.has_zone_changed()) PushChange(event.zone_changed().zone());
  }
  st = reader->Finish();
  std::lock_guard lock(mu_);
  if (!stop_) spdlog::warn("kratad: event stream ended: {}", st.error_message());
  return true;
}

void KratadFollower::PushSnapshot(const control::ListZonesReply& reply) {
  ZoneUpdate u;
  u.kind = ZoneUpdate::Kind::kSnapshot;
  for (const v1::common::Zone& zone : reply.zones()) {
    Result<std::optional<DesiredZone>> d = DesiredFromProto(zone);
    if (!d.has_value()) {
      spdlog::warn("{}; not attaching it", d.error().ToString());
    } else if (d->has_value()) {
      u.zones.push_back(std::move(**d));
    }
  }
  spdlog::info("kratad: {} zones, {} with a running network", reply.zones_size(), u.zones.size());
  queue_.Push(std::move(u));
}

void KratadFollower::PushChange(const v1::common::Zone& zone) {
  ZoneUpdate u;
  u.kind = ZoneUpdate::Kind::kChanged;
  u.id = zone.id();
  Result<std::optional<DesiredZone>> d = DesiredFromProto(zone);
  if (!d.has_value()) {
    spdlog::warn("{}; not attaching it", d.error().ToString());
  } else {
    u.zone = std::move(*d);
  }
  queue_.Push(std::move(u));
}

}  // namespace krata::net::kratanet
