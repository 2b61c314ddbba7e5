#include "xen/devices/vbd.h"

#include <gtest/gtest.h>

#include <thread>

#include "xen/devices/domain.h"
#include "xen/store/fake_xenstored.h"

namespace krata::xen::devices {
namespace {

using namespace std::chrono_literals;
using store::Access;
using store::Perm;

VbdDeclaration Disk(uint32_t index, uint32_t minor) {
  VbdDeclaration d;
  d.domid = 7;
  d.index = index;
  d.major = 7;
  d.minor = minor;
  d.device_path = "/dev/loop" + std::to_string(minor);
  return d;
}

TEST(VbdTest, Numbering) {
  EXPECT_EQ(VbdDeviceId(0), 51712u);
  EXPECT_EQ(VbdDeviceId(1), 51728u);
  EXPECT_EQ(VbdDiskName(1), "xvdb");
  EXPECT_EQ(VbdBackendPath(0, 7, 51712), "/local/domain/0/backend/vbd/7/51712");
  EXPECT_EQ(VbdFrontendPath(7, 51728), "/local/domain/7/device/vbd/51728");
}

TEST(VbdTest, DeclareWritesFrontendAndBackendWithPermissions) {
  store::FakeXenstored xsd;
  store::XsClient xs(xsd.TakeClientTransport());
  std::vector<VbdDeclaration> disks{Disk(0, 3), Disk(1, 26)};
  ASSERT_TRUE(DeclareVbds(xs, disks).has_value());
  const std::string fe = "/local/domain/7/device/vbd/51712";
  const std::string be = "/local/domain/0/backend/vbd/7/51712";
  EXPECT_EQ(xsd.Get(fe + "/backend"), be);
  EXPECT_EQ(xsd.Get(fe + "/backend-id"), "0");
  EXPECT_EQ(xsd.Get(fe + "/state"), "1");
  EXPECT_EQ(xsd.Get(fe + "/virtual-device"), "51712");
  EXPECT_EQ(xsd.Get(fe + "/device-type"), "disk");
  EXPECT_EQ(xsd.Get(fe + "/protocol"), "x86_64-abi");
  EXPECT_EQ(xsd.Get(be + "/frontend"), fe);
  EXPECT_EQ(xsd.Get(be + "/frontend-id"), "7");
  EXPECT_EQ(xsd.Get(be + "/online"), "1");
  EXPECT_EQ(xsd.Get(be + "/state"), "1");
  EXPECT_EQ(xsd.Get(be + "/dev"), "xvda");
  EXPECT_EQ(xsd.Get(be + "/type"), "phy");
  EXPECT_EQ(xsd.Get(be + "/mode"), "r");
  EXPECT_EQ(xsd.Get(be + "/physical-device"), "7:3");
  EXPECT_EQ(xsd.Get(be + "/physical-device-path"), "/dev/loop3");
  // Hex, as blkback parses it: minor 26 is 1a.
  EXPECT_EQ(xsd.Get("/local/domain/0/backend/vbd/7/51728/physical-device"), "7:1a");
  EXPECT_EQ(xsd.Get("/local/domain/0/backend/vbd/7/51728/dev"), "xvdb");
  const std::vector<Perm> fe_perms{{7, Access::kNone}, {0, Access::kRead}};
  const std::vector<Perm> be_perms{{0, Access::kNone}, {7, Access::kRead}};
  EXPECT_EQ(xsd.GetPerms(fe), fe_perms);
  EXPECT_EQ(xsd.GetPerms(fe + "/state"), fe_perms);
  EXPECT_EQ(xsd.GetPerms("/local/domain/7/device/vbd"), fe_perms);
  EXPECT_EQ(xsd.GetPerms(be), be_perms);
  EXPECT_EQ(xsd.GetPerms(be + "/physical-device"), be_perms);
  EXPECT_EQ(xsd.GetPerms("/local/domain/0/backend/vbd/7"), be_perms);
  EXPECT_EQ(xsd.open_transactions(), 0u);
}

TEST(VbdTest, WritableDiskHasModeW) {
  store::FakeXenstored xsd;
  store::XsClient xs(xsd.TakeClientTransport());
  VbdDeclaration d = Disk(0, 1);
  d.writable = true;
  ASSERT_TRUE(DeclareVbds(xs, std::span(&d, 1)).has_value());
  EXPECT_EQ(xsd.Get("/local/domain/0/backend/vbd/7/51712/mode"), "w");
}

TEST(VbdTest, IndexBeyondXvdpIsRefused) {
  store::FakeXenstored xsd;
  store::XsClient xs(xsd.TakeClientTransport());
  VbdDeclaration d = Disk(16, 1);
  EXPECT_FALSE(DeclareVbds(xs, std::span(&d, 1)).has_value());
  EXPECT_FALSE(xsd.Has("/local/domain/7/device/vbd"));
}

TEST(VbdTest, CloseWithoutBackendsIsDone) {
  store::FakeXenstored xsd;
  store::XsClient xs(xsd.TakeClientTransport());
  Result<bool> closed = CloseVbds(xs, 7, 0ms);
  ASSERT_TRUE(closed.has_value());
  EXPECT_TRUE(*closed);
}

TEST(VbdTest, CloseAsksBlkbackAndTimesOutWhenItDoesNotAnswer) {
  store::FakeXenstored xsd;
  store::XsClient xs(xsd.TakeClientTransport());
  VbdDeclaration d = Disk(0, 3);
  ASSERT_TRUE(DeclareVbds(xs, std::span(&d, 1)).has_value());
  xsd.Set("/local/domain/0/backend/vbd/7/51712/state", "4");  // connected
  Result<bool> closed = CloseVbds(xs, 7, 0ms);
  ASSERT_TRUE(closed.has_value());
  EXPECT_FALSE(*closed);
  EXPECT_EQ(xsd.Get("/local/domain/0/backend/vbd/7/51712/state"), "5");
  EXPECT_EQ(xsd.Get("/local/domain/0/backend/vbd/7/51712/online"), "0");
}

// A stand-in for blkback: on its own connection it watches the backend state and answers
// Closing (5) with Closed (6).
TEST(VbdTest, CloseWaitsForBlkbackToReachClosed) {
  store::FakeXenstored xsd;
  store::XsClient xs(xsd.TakeClientTransport());
  store::XsClient blkback(xsd.TakeClientTransport());
  std::vector<VbdDeclaration> disks{Disk(0, 3), Disk(1, 4)};
  ASSERT_TRUE(DeclareVbds(xs, disks).has_value());
  const std::string dir = "/local/domain/0/backend/vbd/7";
  xsd.Set(dir + "/51712/state", "4");
  xsd.Set(dir + "/51728/state", "6");  // this one closed already: left alone
  ASSERT_TRUE(blkback.Watch(dir + "/51712/state", "bb").has_value());
  std::thread backend([&] {
    for (;;) {
      Result<std::optional<store::WatchEvent>> ev = blkback.WaitWatchEvent(10s);
      if (!ev.has_value() || !ev->has_value()) return;
      Result<std::string> st = blkback.Read(dir + "/51712/state");
      if (st.has_value() && *st == "5") {
        (void)blkback.Write(dir + "/51712/state", "6");
        return;
      }
    }
  });
  Result<bool> closed = CloseVbds(xs, 7, 10s);
  backend.join();
  ASSERT_TRUE(closed.has_value());
  EXPECT_TRUE(*closed);
  EXPECT_EQ(xsd.Get(dir + "/51728/online"), "1");  // untouched
  // Teardown after the handshake removes both sides; doing it twice is fine.
  ASSERT_TRUE(RemoveDomain(xs, 7).has_value());
  EXPECT_FALSE(xsd.Has(dir));
  EXPECT_FALSE(xsd.Has("/local/domain/7"));
  ASSERT_TRUE(RemoveDomain(xs, 7).has_value());
  Result<bool> again = CloseVbds(xs, 7, 0ms);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(*again);
}

}  // namespace
}  // namespace krata::xen::devices
