#include "xen/devices/domain.h"

#include <gtest/gtest.h>

#include "xen/store/fake_xenstored.h"

namespace krata::xen::devices {
namespace {

using store::Access;
using store::Perm;

DomainDeclaration Sample() {
  DomainDeclaration d;
  d.domid = 7;
  d.uuid = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8};
  d.name = "zone-a";
  d.target_kib = 131072;
  d.max_kib = 262144;
  d.vcpus = 2;
  d.store_evtchn = 1;
  d.store_mfn = 0x38201;
  d.console_evtchn = 2;
  d.console_mfn = 0x38202;
  d.extra["krata/uuid"] = UuidString(d.uuid);
  return d;
}

TEST(DomainTest, UuidFormatting) {
  EXPECT_EQ(UuidString(Sample().uuid), "12345678-9abc-def0-0102-030405060708");
}

TEST(DomainTest, DeclareWritesTheTreeWithPermissions) {
  store::FakeXenstored xsd;
  store::XsClient xs(xsd.TakeClientTransport());
  DomainDeclaration d = Sample();
  ASSERT_TRUE(DeclareDomain(xs, d).has_value());
  EXPECT_EQ(xsd.Get("/local/domain/7/name"), "zone-a");
  EXPECT_EQ(xsd.Get("/local/domain/7/vm"), "/vm/12345678-9abc-def0-0102-030405060708");
  EXPECT_EQ(xsd.Get("/local/domain/7/memory/target"), "131072");
  EXPECT_EQ(xsd.Get("/local/domain/7/memory/static-max"), "262144");
  EXPECT_EQ(xsd.Get("/local/domain/7/cpu/1/availability"), "online");
  EXPECT_EQ(xsd.Get("/local/domain/7/store/ring-ref"), std::to_string(0x38201));
  EXPECT_EQ(xsd.Get("/local/domain/7/console/port"), "2");
  EXPECT_EQ(xsd.Get("/local/domain/7/krata/uuid"), "12345678-9abc-def0-0102-030405060708");
  // The guest reads dom0's keys and owns the ones it must write.
  EXPECT_EQ(xsd.GetPerms("/local/domain/7/name"),
            (std::vector<Perm>{{0, Access::kNone}, {7, Access::kRead}}));
  EXPECT_EQ(xsd.GetPerms("/local/domain/7/control/shutdown"),
            (std::vector<Perm>{{7, Access::kNone}}));
  EXPECT_EQ(xsd.GetPerms("/local/domain/7/data"), (std::vector<Perm>{{7, Access::kNone}}));
  EXPECT_EQ(xsd.GetPerms("/vm/12345678-9abc-def0-0102-030405060708"),
            (std::vector<Perm>{{0, Access::kNone}}));
  EXPECT_EQ(xsd.open_transactions(), 0u);
}

TEST(DomainTest, DeclareReplacesLeftoversOfARecycledDomid) {
  store::FakeXenstored xsd;
  xsd.Set("/local/domain/7/stale", "x");
  store::XsClient xs(xsd.TakeClientTransport());
  ASSERT_TRUE(DeclareDomain(xs, Sample()).has_value());
  EXPECT_FALSE(xsd.Has("/local/domain/7/stale"));
}

TEST(DomainTest, IntroduceAndRemoveLeaveNothingBehind) {
  store::FakeXenstored xsd;
  xsd.Set("/local/domain/0/name", "Domain-0");
  xsd.Set("/local/domain/0/backend/vbd/7/51712/state", "4");
  xsd.Set("/local/domain/0/backend/vbd/8/51712/state", "4");  // another domain's
  store::XsClient xs(xsd.TakeClientTransport());
  DomainDeclaration d = Sample();
  ASSERT_TRUE(DeclareDomain(xs, d).has_value());
  ASSERT_TRUE(IntroduceDomain(xs, d).has_value());
  ASSERT_TRUE(xsd.Introduced(7).has_value());
  EXPECT_EQ(xsd.Introduced(7)->mfn, 0x38201u);

  ASSERT_TRUE(RemoveDomain(xs, 7).has_value());
  EXPECT_FALSE(xsd.Has("/local/domain/7"));
  EXPECT_FALSE(xsd.Has("/vm/12345678-9abc-def0-0102-030405060708"));
  EXPECT_FALSE(xsd.Has("/local/domain/0/backend/vbd/7"));
  EXPECT_TRUE(xsd.Has("/local/domain/0/backend/vbd/8/51712/state"));
  EXPECT_TRUE(xsd.Has("/local/domain/0/name"));
  EXPECT_FALSE(xsd.Introduced(7).has_value());
  // Idempotent: removing again is fine.
  EXPECT_TRUE(RemoveDomain(xs, 7).has_value());
}

}  // namespace
}  // namespace krata::xen::devices
