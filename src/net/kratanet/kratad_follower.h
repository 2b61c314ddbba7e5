#pragma once
// Follows kratad's zones on a thread of its own (gRPC calls block): opens WatchEvents, then
// lists the zones (so no change falls between the list and the stream: kratad subscribes
// before it sends the stream's initial metadata) and pushes a snapshot, then every change.
// When the stream breaks it reconnects with backoff and pushes a fresh snapshot; the zones
// stay attached meanwhile, and the tracker diffs the new list against them.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "krata/v1/control.grpc.pb.h"
#include "net/kratanet/update_queue.h"

namespace krata::net::kratanet {

struct FollowOptions {
  std::chrono::milliseconds min_backoff{500};
  std::chrono::milliseconds max_backoff{10000};
};

class KratadFollower {
 public:
  KratadFollower(std::shared_ptr<grpc::Channel> channel, UpdateQueue& queue,
                 FollowOptions options = {});
  ~KratadFollower();  // Stop()
  KratadFollower(const KratadFollower&) = delete;
  KratadFollower& operator=(const KratadFollower&) = delete;

  void Start();
  // Cancels the current call and joins the thread. Idempotent.
  void Stop();

  uint64_t snapshots() const { return snapshots_; }  // successful lists so far

 private:
  void Run();
  // One session: stream + list + events until the stream ends. True if the list succeeded.
  bool Session();
  void PushSnapshot(const v1::control::ListZonesReply& reply);
  void PushChange(const v1::common::Zone& zone);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::control::ControlService::Stub> stub_;
  UpdateQueue& queue_;
  FollowOptions options_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  // Guarded by mu_: the calls in flight, which Stop() cancels.
  grpc::ClientContext* watch_ctx_ = nullptr;
  grpc::ClientContext* list_ctx_ = nullptr;
  std::atomic<uint64_t> snapshots_{0};
};

}  // namespace krata::net::kratanet
