// kratad end to end without Xen: a real gRPC server on a temporary unix socket, the real
// client connection code (ctl/client.h), FakeRuntime and FakeImageService. Every wait is on
// an event (WatchEvents, the fake's condition variables), never a sleep.

#include "daemon/daemon.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <csignal>
#include <filesystem>

#include "ctl/client.h"
#include "daemon/fake_image_service.h"
#include "runtime/fake_runtime.h"

namespace krata::daemon {
namespace {

namespace common = v1::common;
namespace control = v1::control;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kDigest[] =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";
constexpr milliseconds kTimeout{10000};

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kratad-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    images_.Add("alpine:latest", kDigest,
                zone::ImageProcess{.entrypoint = {"/entry"},
                                   .cmd = {"/bin/sh"},
                                   .env = {"PATH=/bin"},
                                   .working_dir = "/srv",
                                   .user = "1000"});
    StartDaemon();
  }
  void TearDown() override {
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }

  DaemonOptions Options() {
    DaemonOptions o;
    o.store_dir = dir_;
    o.zones.assets = {.kernel_path = "/k", .initrd_path = "/i"};
    o.zones.shutdown_grace_ms = 50;
    o.zones.destroy_margin = milliseconds(50);
    o.zones.network = network_;
    return o;
  }
  void StartDaemon() {
    daemon_ = MUST(Daemon::Start(Options(), runtime_, &images_));
    conn_ = MUST(ctl::Connect("unix://" + dir_ + "/daemon.socket"));
  }
  void StopDaemon() {
    conn_ = ctl::Connection();
    daemon_.reset();
  }

  common::ZoneSpec Spec(const std::vector<std::string>& command, const std::string& name = "") {
    common::ZoneSpec spec;
    spec.set_name(name);
    spec.mutable_image()->mutable_oci()->set_digest(kDigest);
    spec.mutable_image()->mutable_oci()->set_format(common::OCI_IMAGE_FORMAT_SQUASHFS);
    for (const std::string& c : command) spec.mutable_task()->add_command(c);
    return spec;
  }
  grpc::Status Create(const common::ZoneSpec& spec, std::string* id) {
    grpc::ClientContext ctx;
    control::CreateZoneRequest req;
    *req.mutable_spec() = spec;
    control::CreateZoneReply reply;
    grpc::Status st = conn_.stub->CreateZone(&ctx, req, &reply);
    *id = reply.zone_id();
    return st;
  }
  std::string MustCreate(const common::ZoneSpec& spec) {
    std::string id;
    grpc::Status st = Create(spec, &id);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return id;
  }
  grpc::Status Get(const std::string& id, common::Zone* zone) {
    grpc::ClientContext ctx;
    control::GetZoneRequest req;
    req.set_zone_id(id);
    control::GetZoneReply reply;
    grpc::Status st = conn_.stub->GetZone(&ctx, req, &reply);
    *zone = reply.zone();
    return st;
  }
  grpc::Status Destroy(const std::string& id) {
    grpc::ClientContext ctx;
    control::DestroyZoneRequest req;
    req.set_zone_id(id);
    control::DestroyZoneReply reply;
    return conn_.stub->DestroyZone(&ctx, req, &reply);
  }
  // Waits (on WatchEvents) until the zone is in `state`; returns its last view.
  common::Zone WaitForState(const std::string& id, common::ZoneState state) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kTimeout);
    auto stream = conn_.stub->WatchEvents(&ctx, control::WatchEventsRequest());
    stream->WaitForInitialMetadata();  // subscribed: no event can be missed from here on
    auto finish = [&] {
      ctx.TryCancel();
      control::WatchEventsReply rest;
      while (stream->Read(&rest)) {
      }
      (void)stream->Finish();
    };
    common::Zone zone;
    grpc::Status st = Get(id, &zone);
    // A destroyed zone is deleted: NOT_FOUND is its final state.
    bool gone = st.error_code() == grpc::StatusCode::NOT_FOUND;
    if ((st.ok() && zone.status().state() == state) ||
        (gone && state == common::ZONE_STATE_DESTROYED)) {
      finish();
      return zone;
    }
    control::WatchEventsReply ev;
    while (stream->Read(&ev)) {
      if (ev.zone_changed().zone().id() != id) continue;
      zone = ev.zone_changed().zone();
      if (zone.status().state() == state) {
        finish();
        return zone;
      }
    }
    (void)stream->Finish();
    ADD_FAILURE() << "zone " << id << " never reached state " << common::ZoneState_Name(state)
                  << "; last: " << zone.ShortDebugString();
    return zone;
  }

  control::GetHostStatusReply HostStatus() {
    grpc::ClientContext ctx;
    control::GetHostStatusReply reply;
    grpc::Status st = conn_.stub->GetHostStatus(&ctx, control::GetHostStatusRequest(), &reply);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return reply;
  }
  static common::ZonePortForward Port(uint32_t host, uint32_t zone, bool udp = false) {
    common::ZonePortForward p;
    p.set_host_port(host);
    p.set_zone_port(zone);
    p.set_protocol(udp ? common::PORT_PROTOCOL_UDP : common::PORT_PROTOCOL_TCP);
    return p;
  }

  std::string dir_;
  NetworkOptions network_;
  runtime::FakeRuntime runtime_;
  FakeImageService images_;
  std::unique_ptr<Daemon> daemon_;
  ctl::Connection conn_;
};

TEST_F(DaemonTest, LaunchRunsAndExitCodeIsKept) {
  common::ZoneSpec spec = Spec({"exit", "7"}, "web");
  auto* env = spec.mutable_task()->add_environment();
  env->set_key("A");
  env->set_value("b=c");
  spec.mutable_task()->set_working_directory("/work");
  spec.mutable_task()->set_user("nobody");
  spec.mutable_initial_resources()->set_memory_mib(512);
  std::string id = MustCreate(spec);
  common::Zone zone = WaitForState(id, common::ZONE_STATE_EXITED);
  EXPECT_EQ(zone.status().exit_status().code(), 7);
  EXPECT_EQ(zone.status().exit_status().signal(), 0);
  EXPECT_FALSE(zone.status().has_error_status());

  std::optional<runtime::LaunchRequest> req = runtime_.LastLaunch(id);
  ASSERT_TRUE(req.has_value());
  EXPECT_EQ(req->image_path, std::string("/fake/") + kDigest + ".squashfs");
  EXPECT_EQ(req->memory_mib, 512u);
  EXPECT_EQ(req->assets.kernel_path, "/k");
  EXPECT_EQ(req->config.hostname, "web");
  EXPECT_EQ(req->config.image.entrypoint, std::vector<std::string>{"/entry"});
  EXPECT_EQ(req->config.process.env, std::vector<std::string>{"A=b=c"});
  EXPECT_EQ(req->config.process.working_dir, "/work");  // upstream dropped -w
  EXPECT_EQ(req->config.process.user, "nobody");
  // The exited zone's domain is freed, its row and console kept.
  EXPECT_TRUE(runtime_.WaitForCall("destroy " + id, kTimeout));
  EXPECT_FALSE(runtime_.HasDomain(id));
  grpc::ClientContext ctx;
  control::ReadZoneConsoleRequest logs;
  logs.set_zone_id(id);
  auto stream = conn_.stub->ReadZoneConsole(&ctx, logs);
  std::string text;
  control::ZoneConsoleReply reply;
  while (stream->Read(&reply)) text += reply.data();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(text, "fake: exit 7\n");
}

TEST_F(DaemonTest, SignalDeathIsReported) {
  std::string id = MustCreate(Spec({"kill", "9"}));
  common::Zone zone = WaitForState(id, common::ZONE_STATE_EXITED);
  EXPECT_EQ(zone.status().exit_status().signal(), 9);
}

TEST_F(DaemonTest, FailedLaunchKeepsTheMessage) {
  runtime_.FailNextLaunch("out of memory for domain");
  std::string id = MustCreate(Spec({}));
  common::Zone zone = WaitForState(id, common::ZONE_STATE_FAILED);
  EXPECT_NE(zone.status().error_status().message().find("out of memory for domain"),
            std::string::npos);

  common::ZoneSpec uncached = Spec({});
  uncached.mutable_image()->mutable_oci()->set_digest("sha256:2222");
  std::string id2 = MustCreate(uncached);
  zone = WaitForState(id2, common::ZONE_STATE_FAILED);
  EXPECT_NE(zone.status().error_status().message().find("not cached"), std::string::npos);
}

TEST_F(DaemonTest, DestroyShutsDownThenDestroysAndDeletes) {
  std::string id = MustCreate(Spec({"/bin/server"}));
  WaitForState(id, common::ZONE_STATE_CREATED);
  runtime_.EmitConsole(id, "some output\n");
  ASSERT_TRUE(std::filesystem::exists(dir_ + "/logs/" + id + ".log"));
  ASSERT_TRUE(Destroy(id).ok());
  WaitForState(id, common::ZONE_STATE_DESTROYED);
  std::vector<std::string> calls = runtime_.Calls();
  auto shutdown = std::find(calls.begin(), calls.end(), "shutdown " + id);
  auto destroy = std::find(calls.begin(), calls.end(), "destroy " + id);
  ASSERT_NE(shutdown, calls.end());
  ASSERT_NE(destroy, calls.end());
  EXPECT_LT(shutdown, destroy);
  common::Zone zone;
  EXPECT_EQ(Get(id, &zone).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/logs/" + id + ".log"));
  EXPECT_FALSE(runtime_.HasDomain(id));
}

TEST_F(DaemonTest, DestroyForcesAGuestThatIgnoresShutdown) {
  runtime_.SetObeyShutdown(false);
  std::string id = MustCreate(Spec({"/bin/stubborn"}));
  WaitForState(id, common::ZONE_STATE_CREATED);
  ASSERT_TRUE(Destroy(id).ok());
  WaitForState(id, common::ZONE_STATE_DESTROYED);
  EXPECT_FALSE(runtime_.HasDomain(id));
}

TEST_F(DaemonTest, AttachReplaysHistoryThenStreamsBothWays) {
  std::string id = MustCreate(Spec({"/bin/sh"}));
  WaitForState(id, common::ZONE_STATE_CREATED);
  runtime_.EmitConsole(id, "before\n");

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kTimeout);
  auto stream = conn_.stub->AttachZoneConsole(&ctx);
  control::ZoneConsoleRequest first;
  first.set_zone_id(id);
  first.set_replay_history(true);
  ASSERT_TRUE(stream->Write(first));
  control::ZoneConsoleReply reply;
  ASSERT_TRUE(stream->Read(&reply));
  EXPECT_EQ(reply.data(), "before\n");  // history, delivered as the subscription started

  runtime_.EmitConsole(id, "live\n");
  ASSERT_TRUE(stream->Read(&reply));
  EXPECT_EQ(reply.data(), "live\n");

  control::ZoneConsoleRequest input;
  input.set_data("echo hi\n");
  ASSERT_TRUE(stream->Write(input));
  EXPECT_TRUE(runtime_.WaitForConsoleInput(id, "echo hi\n", kTimeout));

  runtime_.Exit(id, {.code = 0, .signal = 0});
  bool eof = false;
  while (stream->Read(&reply)) {
    if (reply.eof()) {
      eof = true;
      stream->WritesDone();
    }
  }
  EXPECT_TRUE(eof);
  grpc::Status st = stream->Finish();
  EXPECT_TRUE(st.ok()) << st.error_message();
}

TEST_F(DaemonTest, AttachToUnknownZoneIsNotFound) {
  grpc::ClientContext ctx;
  auto stream = conn_.stub->AttachZoneConsole(&ctx);
  control::ZoneConsoleRequest first;
  first.set_zone_id("00000000-0000-0000-0000-000000000000");
  stream->Write(first);
  stream->WritesDone();
  control::ZoneConsoleReply reply;
  while (stream->Read(&reply)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(DaemonTest, RestartAdoptsRunningAndMarksVanished) {
  std::string kept = MustCreate(Spec({"/bin/a"}, "kept"));
  std::string lost = MustCreate(Spec({"/bin/b"}, "lost"));
  uint32_t domid = WaitForState(kept, common::ZONE_STATE_CREATED).status().domid();
  WaitForState(lost, common::ZONE_STATE_CREATED);
  runtime_.EmitConsole(kept, "from the first daemon\n");
  StopDaemon();

  runtime_.RemoveDomain(lost);           // e.g. `xl destroy` while kratad was down
  runtime_.AddDomain("stray-zone", 42);  // a krata domain nobody knows
  StartDaemon();

  common::Zone zone;
  ASSERT_TRUE(Get(kept, &zone).ok());
  EXPECT_EQ(zone.status().state(), common::ZONE_STATE_CREATED);
  EXPECT_EQ(zone.status().domid(), domid);
  EXPECT_TRUE(runtime_.HasDomain(kept));
  ASSERT_TRUE(Get(lost, &zone).ok());
  EXPECT_EQ(zone.status().state(), common::ZONE_STATE_EXITED);
  EXPECT_EQ(zone.status().error_status().message(), "domain vanished");
  EXPECT_FALSE(runtime_.HasDomain("stray-zone"));
  std::vector<std::string> calls = runtime_.Calls();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "launch " + lost), 1);  // not re-created

  // History survives the restart, for attach and logs alike.
  grpc::ClientContext ctx;
  control::ReadZoneConsoleRequest logs;
  logs.set_zone_id(kept);
  auto stream = conn_.stub->ReadZoneConsole(&ctx, logs);
  control::ZoneConsoleReply reply;
  std::string text;
  while (stream->Read(&reply)) text += reply.data();
  EXPECT_EQ(text, "from the first daemon\n");

  // The adopted zone still reports its exit.
  runtime_.Exit(kept, {.code = 3, .signal = 0});
  EXPECT_EQ(WaitForState(kept, common::ZONE_STATE_EXITED).status().exit_status().code(), 3);
}

TEST_F(DaemonTest, SocketIsRootOnlyAndSecondDaemonIsRefused) {
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/daemon.socket").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  Result<std::unique_ptr<Daemon>> second = Daemon::Start(Options(), runtime_, &images_);
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().ToString().find("another kratad"), std::string::npos);
  // The first one still serves.
  common::Zone zone;
  EXPECT_EQ(Get("nope", &zone).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(DaemonTest, ErrorsHaveProperCodes) {
  std::string id;
  MustCreate(Spec({"/bin/a"}, "web"));
  EXPECT_EQ(Create(Spec({"/bin/b"}, "web"), &id).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Create(Spec({}, "bad name!"), &id).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  common::ZoneSpec no_image;
  EXPECT_EQ(Create(no_image, &id).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Destroy("missing").error_code(), grpc::StatusCode::NOT_FOUND);

  Result<std::string> by_name = ctl::ResolveZone(conn_, "web");
  ASSERT_TRUE(by_name.has_value());
  EXPECT_EQ(MUST(ctl::ResolveZone(conn_, *by_name)), *by_name);
  Result<std::string> none = ctl::ResolveZone(conn_, "other");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().errno_value(), ENOENT);
}

TEST_F(DaemonTest, PullStreamsProgressThenTheDigest) {
  grpc::ClientContext ctx;
  control::PullImageRequest req;
  req.set_image("alpine:latest");
  auto stream = conn_.stub->PullImage(&ctx, req);
  control::PullImageReply reply;
  int progress = 0;
  std::string digest;
  while (stream->Read(&reply)) {
    if (reply.has_final()) {
      digest = reply.final().digest();
    } else {
      ++progress;
    }
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(progress, 2);
  EXPECT_EQ(digest, kDigest);

  grpc::ClientContext ctx2;
  req.set_image("missing:latest");
  auto missing = conn_.stub->PullImage(&ctx2, req);
  while (missing->Read(&reply)) {
  }
  EXPECT_EQ(missing->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(DaemonTest, ZonesGetTheLowestFreeAddressesAndTheLaunchConfigSaysSo) {
  control::GetHostStatusReply host = HostStatus();
  EXPECT_EQ(host.ipv4_subnet(), "10.75.0.0/16");
  EXPECT_EQ(host.ipv6_subnet(), "fdd4:1476:6c7e::/48");
  EXPECT_EQ(host.gateway_ipv4(), "10.75.0.1");
  EXPECT_EQ(host.gateway_ipv6(), "fdd4:1476:6c7e::1");
  EXPECT_EQ(host.host_ipv4(), "10.75.0.2");
  EXPECT_EQ(host.host_ipv6(), "fdd4:1476:6c7e::2");
  ASSERT_EQ(host.gateway_mac().size(), 17u);
  EXPECT_NE(host.gateway_mac(), host.host_mac());

  std::string a = MustCreate(Spec({"/bin/a"}));
  std::string b = MustCreate(Spec({"/bin/b"}));
  common::Zone za = WaitForState(a, common::ZONE_STATE_CREATED);
  common::Zone zb = WaitForState(b, common::ZONE_STATE_CREATED);
  const common::ZoneNetworkStatus& na = za.status().network_status();
  EXPECT_EQ(na.zone_ipv4(), "10.75.0.3/16");
  EXPECT_EQ(na.zone_ipv6(), "fdd4:1476:6c7e::3/48");
  EXPECT_EQ(na.gateway_ipv4(), "10.75.0.1");
  EXPECT_EQ(na.gateway_ipv6(), "fdd4:1476:6c7e::1");
  EXPECT_EQ(na.gateway_mac(), host.gateway_mac());
  EXPECT_EQ(zb.status().network_status().zone_ipv4(), "10.75.0.4/16");
  EXPECT_EQ(zb.status().network_status().zone_ipv6(), "fdd4:1476:6c7e::4/48");
  EXPECT_NE(na.zone_mac(), zb.status().network_status().zone_mac());
  // Locally administered unicast.
  EXPECT_EQ(na.zone_mac().substr(0, 3), "02:");

  std::optional<runtime::LaunchRequest> req = runtime_.LastLaunch(a);
  ASSERT_TRUE(req.has_value());
  ASSERT_TRUE(req->config.network.has_value());
  EXPECT_EQ(req->config.network->mac, na.zone_mac());
  EXPECT_EQ(req->config.network->ipv4, "10.75.0.3/16");
  EXPECT_EQ(req->config.network->gateway4, "10.75.0.1");
  EXPECT_EQ(req->config.network->ipv6, "fdd4:1476:6c7e::3/48");
  EXPECT_EQ(req->config.network->gateway6, "fdd4:1476:6c7e::1");
  EXPECT_EQ(req->config.network->mtu, 1500u);
  EXPECT_EQ(req->config.nameservers, (std::vector<std::string>{"10.75.0.1", "fdd4:1476:6c7e::1"}));
  // The config kratad writes is one the guest accepts.
  EXPECT_TRUE(zone::FromJson(zone::ToJson(req->config)).has_value());

  // Destroying the first frees its addresses for the next zone.
  ASSERT_TRUE(Destroy(a).ok());
  WaitForState(a, common::ZONE_STATE_DESTROYED);
  std::string c = MustCreate(Spec({"/bin/c"}));
  common::Zone zc = WaitForState(c, common::ZONE_STATE_CREATED);
  EXPECT_EQ(zc.status().network_status().zone_ipv4(), "10.75.0.3/16");
}

TEST_F(DaemonTest, NetworkSurvivesARestart) {
  std::string a = MustCreate(Spec({"/bin/a"}));
  common::Zone before = WaitForState(a, common::ZONE_STATE_CREATED);
  control::GetHostStatusReply host = HostStatus();
  StopDaemon();
  StartDaemon();
  control::GetHostStatusReply again = HostStatus();
  EXPECT_EQ(again.gateway_mac(), host.gateway_mac());  // made once, kept in the store
  EXPECT_EQ(again.host_mac(), host.host_mac());
  common::Zone after;
  ASSERT_TRUE(Get(a, &after).ok());
  EXPECT_EQ(after.status().network_status().SerializeAsString(),
            before.status().network_status().SerializeAsString());
  // The reservation is still held: the next zone gets the next address.
  std::string b = MustCreate(Spec({"/bin/b"}));
  EXPECT_EQ(WaitForState(b, common::ZONE_STATE_CREATED).status().network_status().zone_ipv4(),
            "10.75.0.4/16");
}

TEST_F(DaemonTest, ExhaustedSubnetIsResourceExhaustedAndFailedZonesFreeOnDestroy) {
  StopDaemon();
  network_.ipv4_subnet = "10.99.0.0/29";  // .3 .. .6: four zones
  StartDaemon();
  EXPECT_EQ(HostStatus().ipv4_subnet(), "10.99.0.0/29");
  runtime_.FailNextLaunch("no luck");
  std::string failed = MustCreate(Spec({}));
  WaitForState(failed, common::ZONE_STATE_FAILED);
  std::vector<std::string> ids{failed};
  for (int i = 0; i < 3; ++i) ids.push_back(MustCreate(Spec({"/bin/x"})));
  std::string id;
  grpc::Status full = Create(Spec({"/bin/x"}), &id);
  EXPECT_EQ(full.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(full.error_message().find("10.99.0.0/29"), std::string::npos) << full.error_message();
  // The FAILED zone held .3 until destroyed.
  ASSERT_TRUE(Destroy(failed).ok());
  WaitForState(failed, common::ZONE_STATE_DESTROYED);
  std::string next = MustCreate(Spec({"/bin/x"}));
  common::Zone z = WaitForState(next, common::ZONE_STATE_CREATED);
  EXPECT_EQ(z.status().network_status().zone_ipv4(), "10.99.0.3/29");
}

TEST_F(DaemonTest, PortForwardsAreValidatedAndUniquePerHostPort) {
  common::ZoneSpec web = Spec({"/bin/web"}, "web");
  *web.add_ports() = Port(8080, 80);
  *web.add_ports() = Port(5353, 53, /*udp=*/true);
  std::string id = MustCreate(web);
  common::Zone z = WaitForState(id, common::ZONE_STATE_CREATED);
  ASSERT_EQ(z.spec().ports_size(), 2);
  EXPECT_EQ(z.spec().ports(0).host_port(), 8080u);
  EXPECT_EQ(z.spec().ports(1).protocol(), common::PORT_PROTOCOL_UDP);

  std::string other;
  common::ZoneSpec clash = Spec({"/bin/x"});
  *clash.add_ports() = Port(8080, 81);
  grpc::Status st = Create(clash, &other);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(st.error_message().find("8080/tcp"), std::string::npos) << st.error_message();
  EXPECT_NE(st.error_message().find("web"), std::string::npos) << st.error_message();
  // Same port, other protocol: fine.
  common::ZoneSpec udp = Spec({"/bin/x"});
  *udp.add_ports() = Port(8080, 80, /*udp=*/true);
  EXPECT_TRUE(Create(udp, &other).ok());

  for (auto [h, zp] : std::vector<std::pair<uint32_t, uint32_t>>{{0, 80}, {70000, 80}, {80, 0}}) {
    common::ZoneSpec bad = Spec({"/bin/x"});
    *bad.add_ports() = Port(h, zp);
    EXPECT_EQ(Create(bad, &other).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << h << ":" << zp;
  }
  common::ZoneSpec twice = Spec({"/bin/x"});
  *twice.add_ports() = Port(9000, 80);
  *twice.add_ports() = Port(9000, 81);
  EXPECT_EQ(Create(twice, &other).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Destroying the holder frees the port.
  ASSERT_TRUE(Destroy(id).ok());
  WaitForState(id, common::ZONE_STATE_DESTROYED);
  EXPECT_TRUE(Create(clash, &other).ok());
}

TEST(ConnectTest, NoDaemonIsAClearError) {
  Result<ctl::Connection> c = ctl::Connect("unix:///nonexistent/kratad.socket");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().ToString().find(
                "cannot reach kratad at unix:///nonexistent/kratad.socket: is it running?"),
            std::string::npos);
}

}  // namespace
}  // namespace krata::daemon
