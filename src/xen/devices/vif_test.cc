#include "xen/devices/vif.h"

#include <gtest/gtest.h>

#include <thread>

#include "xen/devices/domain.h"
#include "xen/store/fake_xenstored.h"

namespace krata::xen::devices {
namespace {

using namespace std::chrono_literals;
using store::Access;
using store::Perm;

VifDeclaration Vif() {
  VifDeclaration d;
  d.domid = 7;
  d.mac = {0x02, 0xab, 0xcd, 0xef, 0x01, 0x2f};
  return d;
}

TEST(VifTest, Paths) {
  EXPECT_EQ(VifFrontendPath(7, 0), "/local/domain/7/device/vif/0");
  EXPECT_EQ(VifBackendPath(0, 7, 0), "/local/domain/0/backend/vif/7/0");
  EXPECT_EQ(VifBackendIfName(7, 0), "vif7.0");
  EXPECT_EQ(VifMacString({0x02, 0, 0x0a, 0xff, 1, 0x10}), "02:00:0a:ff:01:10");
}

TEST(VifTest, DeclareWritesFrontendAndBackendWithPermissions) {
  store::FakeXenstored xsd;
  store::XsClient xs(xsd.TakeClientTransport());
  VifDeclaration d = Vif();
  ASSERT_TRUE(DeclareVifs(xs, std::span(&d, 1)).has_value());
  const std::string fe = "/local/domain/7/device/vif/0";
  const std::string be = "/local/domain/0/backend/vif/7/0";
  EXPECT_EQ(xsd.Get(fe + "/backend"), be);
  EXPECT_EQ(xsd.Get(fe + "/backend-id"), "0");
  EXPECT_EQ(xsd.Get(fe + "/handle"), "0");
  EXPECT_EQ(xsd.Get(fe + "/mac"), "02:ab:cd:ef:01:2f");
  EXPECT_EQ(xsd.Get(fe + "/state"), "1");
  EXPECT_EQ(xsd.Get(be + "/frontend"), fe);
  EXPECT_EQ(xsd.Get(be + "/frontend-id"), "7");
  EXPECT_EQ(xsd.Get(be + "/handle"), "0");
  EXPECT_EQ(xsd.Get(be + "/mac"), "02:ab:cd:ef:01:2f");
  EXPECT_EQ(xsd.Get(be + "/online"), "1");
  EXPECT_EQ(xsd.Get(be + "/state"), "1");
  // Without it netback never leaves InitWait for Connected (no hotplug script runs).
  EXPECT_EQ(xsd.Get(be + "/hotplug-status"), "connected");
  // netback_probe fails without it ("reading script").
  EXPECT_EQ(xsd.Get(be + "/script"), "");
  const std::vector<Perm> fe_perms{{7, Access::kNone}, {0, Access::kRead}};
  const std::vector<Perm> be_perms{{0, Access::kNone}, {7, Access::kRead}};
  EXPECT_EQ(xsd.GetPerms(fe), fe_perms);
  EXPECT_EQ(xsd.GetPerms(fe + "/state"), fe_perms);
  EXPECT_EQ(xsd.GetPerms("/local/domain/7/device/vif"), fe_perms);
  EXPECT_EQ(xsd.GetPerms(be), be_perms);
  EXPECT_EQ(xsd.GetPerms(be + "/hotplug-status"), be_perms);
  EXPECT_EQ(xsd.GetPerms("/local/domain/0/backend/vif/7"), be_perms);
  EXPECT_EQ(xsd.open_transactions(), 0u);
}

TEST(VifTest, StaleNodesOfARecycledDomidAreReplaced) {
  store::FakeXenstored xsd;
  store::XsClient xs(xsd.TakeClientTransport());
  xsd.Set("/local/domain/0/backend/vif/7/0/state", "6");
  xsd.Set("/local/domain/0/backend/vif/7/0/stale", "x");
  VifDeclaration d = Vif();
  ASSERT_TRUE(DeclareVifs(xs, std::span(&d, 1)).has_value());
  EXPECT_EQ(xsd.Get("/local/domain/0/backend/vif/7/0/state"), "1");
  EXPECT_FALSE(xsd.Has("/local/domain/0/backend/vif/7/0/stale"));
}

TEST(VifTest, MulticastMacIsRefused) {
  store::FakeXenstored xsd;
  store::XsClient xs(xsd.TakeClientTransport());
  VifDeclaration d = Vif();
  d.mac[0] = 0x03;
  Status s = DeclareVifs(xs, std::span(&d, 1));
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().ToString().find("multicast"), std::string::npos);
  EXPECT_FALSE(xsd.Has("/local/domain/7/device/vif"));
}

TEST(VifTest, CloseTimesOutWhenNetbackDoesNotAnswer) {
  store::FakeXenstored xsd;
  store::XsClient xs(xsd.TakeClientTransport());
  VifDeclaration d = Vif();
  ASSERT_TRUE(DeclareVifs(xs, std::span(&d, 1)).has_value());
  xsd.Set("/local/domain/0/backend/vif/7/0/state", "4");
  Result<bool> closed = CloseVifs(xs, 7, 0ms);
  ASSERT_TRUE(closed.has_value());
  EXPECT_FALSE(*closed);
  EXPECT_EQ(xsd.Get("/local/domain/0/backend/vif/7/0/state"), "5");
  EXPECT_EQ(xsd.Get("/local/domain/0/backend/vif/7/0/online"), "0");
  Result<bool> none = CloseVifs(xs, 8, 0ms);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(*none);
}

// A stand-in for netback on its own connection: answers Closing (5) with Closed (6).
TEST(VifTest, CloseWaitsForNetbackThenRemovalClearsBothSides) {
  store::FakeXenstored xsd;
  store::XsClient xs(xsd.TakeClientTransport());
  store::XsClient netback(xsd.TakeClientTransport());
  VifDeclaration d = Vif();
  ASSERT_TRUE(DeclareVifs(xs, std::span(&d, 1)).has_value());
  const std::string state = "/local/domain/0/backend/vif/7/0/state";
  xsd.Set(state, "4");
  ASSERT_TRUE(netback.Watch(state, "nb").has_value());
  std::thread backend([&] {
    for (;;) {
      Result<std::optional<store::WatchEvent>> ev = netback.WaitWatchEvent(10s);
      if (!ev.has_value() || !ev->has_value()) return;
      Result<std::string> st = netback.Read(state);
      if (st.has_value() && *st == "5") {
        (void)netback.Write(state, "6");
        return;
      }
    }
  });
  Result<bool> closed = CloseVifs(xs, 7, 10s);
  backend.join();
  ASSERT_TRUE(closed.has_value());
  EXPECT_TRUE(*closed);
  ASSERT_TRUE(RemoveDomain(xs, 7).has_value());
  EXPECT_FALSE(xsd.Has("/local/domain/0/backend/vif/7"));
  EXPECT_FALSE(xsd.Has("/local/domain/7"));
}

}  // namespace
}  // namespace krata::xen::devices
