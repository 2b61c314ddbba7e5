#include "net/kratanet/kratad_follower.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <deque>
#include <filesystem>

namespace krata::net::kratanet {
namespace {

using namespace std::chrono_literals;
namespace common = v1::common;
namespace control = v1::control;

common::Zone MakeZone(const std::string& id, common::ZoneState state, uint32_t domid) {
  common::Zone z;
  z.set_id(id);
  z.mutable_status()->set_state(state);
  z.mutable_status()->set_domid(domid);
  common::ZoneNetworkStatus* n = z.mutable_status()->mutable_network_status();
  n->set_zone_ipv4("10.75.0." + std::to_string(domid + 2) + "/16");
  n->set_zone_ipv6("fdd4::" + std::to_string(domid + 2) + "/48");
  n->set_zone_mac("02:00:00:00:00:0" + std::to_string(domid % 10));
  return z;
}

// Just enough of kratad: ListZones answers `zones`, WatchEvents streams `Publish`ed zones.
class FakeControl final : public control::ControlService::Service {
 public:
  grpc::Status ListZones(grpc::ServerContext*, const control::ListZonesRequest*,
                         control::ListZonesReply* reply) override {
    std::lock_guard lock(mu_);
    for (const common::Zone& z : zones_) *reply->add_zones() = z;
    return grpc::Status::OK;
  }
  grpc::Status WatchEvents(grpc::ServerContext* ctx, const control::WatchEventsRequest*,
                           grpc::ServerWriter<control::WatchEventsReply>* writer) override {
    writer->SendInitialMetadata();
    std::unique_lock lock(mu_);
    ++watchers_;
    size_t next = events_.size();  // only events published after subscribing
    while (!ctx->IsCancelled() && !ending_) {
      if (next < events_.size()) {
        control::WatchEventsReply reply;
        *reply.mutable_zone_changed()->mutable_zone() = events_[next++];
        lock.unlock();
        bool ok = writer->Write(reply);
        lock.lock();
        if (!ok) break;
        continue;
      }
      cv_.wait_for(lock, 20ms);
    }
    --watchers_;
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "stopping");
  }
  void SetZones(std::vector<common::Zone> zones) {
    std::lock_guard lock(mu_);
    zones_ = std::move(zones);
  }
  void Publish(const common::Zone& z) {
    std::lock_guard lock(mu_);
    events_.push_back(z);
    cv_.notify_all();
  }
  void EndStreams() {
    std::lock_guard lock(mu_);
    ending_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<common::Zone> zones_;
  std::deque<common::Zone> events_;
  int watchers_ = 0;
  bool ending_ = false;
};

class KratanetKratadFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kratanet-follower-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    address_ = "unix://" + dir_ + "/daemon.socket";
    queue_ = std::move(*UpdateQueue::Create());
  }
  void TearDown() override {
    StopServer();
    std::filesystem::remove_all(dir_);
  }
  void StartServer() {
    service_ = std::make_unique<FakeControl>();
    grpc::ServerBuilder b;
    b.AddListeningPort(address_, grpc::InsecureServerCredentials());
    b.RegisterService(service_.get());
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void StopServer() {
    if (!server_) return;
    service_->EndStreams();
    server_->Shutdown(std::chrono::system_clock::now() + 2s);
    server_->Wait();
    server_.reset();
  }
  // Waits (up to 10 s) for the next update from the follower.
  std::optional<ZoneUpdate> Next() {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (pending_.empty()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{queue_->fd(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) > 0) {
        for (ZoneUpdate& u : queue_->Drain()) pending_.push_back(std::move(u));
      }
    }
    ZoneUpdate u = std::move(pending_.front());
    pending_.pop_front();
    return u;
  }

  std::string dir_, address_;
  std::unique_ptr<UpdateQueue> queue_;
  std::unique_ptr<FakeControl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::deque<ZoneUpdate> pending_;
};

TEST_F(KratanetKratadFollowerTest, SnapshotThenChanges) {
  StartServer();
  service_->SetZones({MakeZone("a", common::ZONE_STATE_CREATED, 3),
                      MakeZone("b", common::ZONE_STATE_CREATING, 0)});
  KratadFollower f(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()), *queue_);
  f.Start();
  std::optional<ZoneUpdate> u = Next();
  ASSERT_TRUE(u.has_value());
  ASSERT_EQ(u->kind, ZoneUpdate::Kind::kSnapshot);
  ASSERT_EQ(u->zones.size(), 1u);  // b has no domid yet
  EXPECT_EQ(u->zones[0].ifname, "vif3.0");

  service_->Publish(MakeZone("b", common::ZONE_STATE_CREATED, 4));
  u = Next();
  ASSERT_TRUE(u.has_value());
  ASSERT_EQ(u->kind, ZoneUpdate::Kind::kChanged);
  EXPECT_EQ(u->id, "b");
  ASSERT_TRUE(u->zone.has_value());
  EXPECT_EQ(u->zone->ifname, "vif4.0");

  service_->Publish(MakeZone("a", common::ZONE_STATE_DESTROYED, 0));
  u = Next();
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->id, "a");
  EXPECT_FALSE(u->zone.has_value());
  f.Stop();
}

TEST_F(KratanetKratadFollowerTest, ReconnectsAndListsAgain) {
  StartServer();
  service_->SetZones({MakeZone("a", common::ZONE_STATE_CREATED, 3)});
  KratadFollower f(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()), *queue_,
                   FollowOptions{.min_backoff = 20ms, .max_backoff = 100ms});
  f.Start();
  std::optional<ZoneUpdate> u = Next();
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->zones.size(), 1u);

  StopServer();  // kratad restarts; meanwhile zone a went away and c started
  StartServer();
  service_->SetZones({MakeZone("c", common::ZONE_STATE_CREATED, 5)});
  u = Next();
  ASSERT_TRUE(u.has_value());
  ASSERT_EQ(u->kind, ZoneUpdate::Kind::kSnapshot);
  ASSERT_EQ(u->zones.size(), 1u);
  EXPECT_EQ(u->zones[0].id, "c");
  EXPECT_GE(f.snapshots(), 2u);
  f.Stop();
}

TEST_F(KratanetKratadFollowerTest, StopWhileKratadIsAway) {
  KratadFollower f(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()), *queue_,
                   FollowOptions{.min_backoff = 10ms, .max_backoff = 50ms});
  f.Start();
  f.Stop();  // returns (joins) although no call ever succeeded
  EXPECT_EQ(f.snapshots(), 0u);
}

}  // namespace
}  // namespace krata::net::kratanet
