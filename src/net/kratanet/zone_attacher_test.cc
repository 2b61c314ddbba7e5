#include "net/kratanet/zone_attacher.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <set>

namespace krata::net::kratanet {
namespace {

using namespace std::chrono_literals;

// Interfaces "appear" when a test adds them to `present`.
class FakeSink : public ZoneSink {
 public:
  Status Attach(const DesiredZone& zone) override {
    ++attempts;
    if (present.count(zone.ifname) == 0) {
      return Error::FromErrno("if_nametoindex", ENODEV, zone.ifname);
    }
    attached.insert(zone.id);
    return {};
  }
  void Detach(const DesiredZone& zone) override { attached.erase(zone.id); }
  std::set<std::string> present, attached;
  int attempts = 0;
};

DesiredZone Zone(const std::string& ifname) {
  return *ParseZoneSpec(ifname + ",02:00:00:00:00:10,10.75.0.10,fd00::10");
}

class KratanetZoneAttacherTest : public ::testing::Test {
 protected:
  void SetUp() override { loop_ = std::move(*EventLoop::Create()); }
  // Runs the loop until pred holds or 5 s pass.
  bool RunUntil(const std::function<bool()>& pred) {
    auto deadline = EventLoop::Clock::now() + 5s;
    while (!pred()) {
      if (EventLoop::Clock::now() > deadline) return false;
      EXPECT_TRUE(loop_->RunOnce(20ms).has_value());
    }
    return true;
  }
  std::unique_ptr<EventLoop> loop_;
  FakeSink sink_;
};

TEST_F(KratanetZoneAttacherTest, AttachesAtOnceWhenTheLinkExists) {
  ZoneAttacher a(*loop_, sink_);
  sink_.present.insert("vif1.0");
  a.Apply({{ZoneAction::Kind::kAttach, Zone("vif1.0")}});
  EXPECT_TRUE(a.IsAttached("vif1.0"));
  EXPECT_EQ(sink_.attached.count("vif1.0"), 1u);
  a.Apply({{ZoneAction::Kind::kDetach, Zone("vif1.0")}});
  EXPECT_FALSE(a.IsAttached("vif1.0"));
  EXPECT_TRUE(sink_.attached.empty());
}

TEST_F(KratanetZoneAttacherTest, RetriesUntilTheLinkAppears) {
  ZoneAttacher a(*loop_, sink_, AttachOptions{.retry_interval = 5ms, .attach_timeout = 10s});
  a.Apply({{ZoneAction::Kind::kAttach, Zone("vif2.0")}});
  EXPECT_TRUE(a.IsPending("vif2.0"));
  ASSERT_TRUE(RunUntil([&] { return sink_.attempts >= 3; }));
  EXPECT_FALSE(a.IsAttached("vif2.0"));
  sink_.present.insert("vif2.0");  // netback created it
  ASSERT_TRUE(RunUntil([&] { return a.IsAttached("vif2.0"); }));
  EXPECT_FALSE(a.IsPending("vif2.0"));
  EXPECT_EQ(a.attached_count(), 1u);
}

TEST_F(KratanetZoneAttacherTest, GivesUpAfterTheTimeout) {
  ZoneAttacher a(*loop_, sink_, AttachOptions{.retry_interval = 5ms, .attach_timeout = 30ms});
  a.Apply({{ZoneAction::Kind::kAttach, Zone("vif3.0")}});
  ASSERT_TRUE(RunUntil([&] { return a.failed_count() == 1; }));
  EXPECT_FALSE(a.IsPending("vif3.0"));
  EXPECT_FALSE(a.IsAttached("vif3.0"));
  int attempts = sink_.attempts;
  EXPECT_TRUE(loop_->RunOnce(20ms).has_value());
  EXPECT_EQ(sink_.attempts, attempts);  // no timer left behind
}

TEST_F(KratanetZoneAttacherTest, DetachCancelsAPendingRetryAndDetachAllDetaches) {
  ZoneAttacher a(*loop_, sink_, AttachOptions{.retry_interval = 5ms, .attach_timeout = 10s});
  sink_.present.insert("vif4.0");
  a.Apply(
      {{ZoneAction::Kind::kAttach, Zone("vif4.0")}, {ZoneAction::Kind::kAttach, Zone("vif5.0")}});
  EXPECT_TRUE(a.IsPending("vif5.0"));
  a.Apply({{ZoneAction::Kind::kDetach, Zone("vif5.0")}});
  int attempts = sink_.attempts;
  EXPECT_TRUE(loop_->RunOnce(30ms).has_value());
  EXPECT_EQ(sink_.attempts, attempts);
  a.DetachAll();
  EXPECT_TRUE(sink_.attached.empty());
  EXPECT_EQ(a.attached_count(), 0u);
}

}  // namespace
}  // namespace krata::net::kratanet
