// GrantMapping / SharedPages contracts, exercised on the fakes.

#include "xen/gnttab/gnttab.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "xen/gnttab/fake_gnttab.h"

namespace krata::xen::gnttab {
namespace {

constexpr DomId kGuest = 5;

void Put(std::span<std::byte> page, size_t offset, std::string_view s) {
  std::memcpy(page.data() + offset, s.data(), s.size());
}
std::string Get(std::span<const std::byte> page, size_t offset, size_t len) {
  return std::string(reinterpret_cast<const char*>(page.data() + offset), len);
}

// ---- FakeGrantTable (gntdev) ----

TEST(FakeGrantTableTest, MappingAliasesTheGuestPage) {
  FakeGrantTable table;
  std::span<std::byte> guest = MUST(table.AddGrant(kGuest, GrantRef{10}, Access::kReadWrite));
  Result<GrantMapping> m = table.MapOne(kGuest, GrantRef{10}, Access::kReadWrite);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  ASSERT_EQ(m->size(), kPageSize);
  EXPECT_EQ(m->pages(), 1u);
  EXPECT_EQ(m->access(), Access::kReadWrite);
  Put(guest, 100, "from guest");
  EXPECT_EQ(Get(m->bytes(), 100, 10), "from guest");
  Put(m->bytes(), 2000, "from backend");
  EXPECT_EQ(Get(guest, 2000, 12), "from backend");
  EXPECT_EQ(table.MapCount(kGuest, GrantRef{10}), 1u);
  EXPECT_EQ(table.live_mappings(), 1u);
  m->reset();
  EXPECT_FALSE(static_cast<bool>(*m));
  EXPECT_EQ(table.MapCount(kGuest, GrantRef{10}), 0u);
  EXPECT_EQ(table.live_mappings(), 0u);
}

TEST(FakeGrantTableTest, MultiPageMappingFollowsRefOrder) {
  FakeGrantTable table;
  for (uint32_t ref : {20u, 21u, 22u}) {
    std::span<std::byte> page = MUST(table.AddGrant(kGuest, GrantRef{ref}, Access::kReadWrite));
    std::fill(page.begin(), page.end(), std::byte(ref));
  }
  GrantRef refs[] = {GrantRef{22}, GrantRef{20}};
  GrantMapping m = MUST(table.Map(kGuest, refs, Access::kReadOnly));
  ASSERT_EQ(m.size(), 2 * kPageSize);
  EXPECT_EQ(m.bytes()[0], std::byte{22});
  EXPECT_EQ(m.bytes()[kPageSize - 1], std::byte{22});
  EXPECT_EQ(m.bytes()[kPageSize], std::byte{20});
  EXPECT_EQ(table.MapCount(kGuest, GrantRef{21}), 0u);
  EXPECT_EQ(table.MapCount(kGuest, GrantRef{22}), 1u);
}

TEST(FakeGrantTableTest, ReadOnlyGrantMapsOnlyReadOnly) {
  FakeGrantTable table;
  std::span<std::byte> guest = MUST(table.AddGrant(kGuest, GrantRef{3}, Access::kReadOnly));
  Put(guest, 0, "ro");
  Result<GrantMapping> rw = table.MapOne(kGuest, GrantRef{3}, Access::kReadWrite);
  ASSERT_FALSE(rw.has_value());
  EXPECT_EQ(rw.error().errno_value(), EPERM);
  GrantMapping ro = MUST(table.MapOne(kGuest, GrantRef{3}, Access::kReadOnly));
  EXPECT_EQ(Get(ro.bytes(), 0, 2), "ro");
}

TEST(FakeGrantTableTest, UnknownWrongDomainOrEndedGrantsFail) {
  FakeGrantTable table;
  MUST(table.AddGrant(kGuest, GrantRef{3}, Access::kReadWrite));
  Result<GrantMapping> r = table.MapOne(kGuest, GrantRef{4}, Access::kReadOnly);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), EINVAL);
  EXPECT_NE(r.error().ToString().find("domain 5 ref 4"), std::string::npos);
  EXPECT_EQ(table.MapOne(6, GrantRef{3}, Access::kReadOnly).error().errno_value(), EINVAL);
  EXPECT_EQ(table.AddGrant(kGuest, GrantRef{3}, Access::kReadOnly).error().errno_value(), EEXIST);

  GrantMapping kept = MUST(table.MapOne(kGuest, GrantRef{3}, Access::kReadWrite));
  table.EndGrant(kGuest, GrantRef{3});
  EXPECT_EQ(table.MapOne(kGuest, GrantRef{3}, Access::kReadOnly).error().errno_value(), EINVAL);
  Put(kept.bytes(), 0, "still mapped");  // an existing mapping survives the grant's end
  EXPECT_EQ(Get(kept.bytes(), 0, 12), "still mapped");
  // A failed multi-ref map leaves no partial mapping behind.
  GrantRef mixed[] = {GrantRef{3}, GrantRef{99}};
  EXPECT_FALSE(table.Map(kGuest, mixed, Access::kReadOnly).has_value());
  EXPECT_EQ(table.live_mappings(), 1u);
}

TEST(FakeGrantTableTest, RejectsEmptyAndOversizedRequests) {
  FakeGrantTable table;
  Result<GrantMapping> none = table.Map(kGuest, {}, Access::kReadOnly);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().errno_value(), 0);
  std::vector<GrantRef> many(kMaxPagesPerCall + 1, GrantRef{1});
  EXPECT_FALSE(table.Map(kGuest, many, Access::kReadOnly).has_value());
}

TEST(FakeGrantTableTest, InjectedMapFailureCarriesErrno) {
  FakeGrantTable table;
  MUST(table.AddGrant(kGuest, GrantRef{3}, Access::kReadWrite));
  table.FailNextMap(ENOMEM);
  Result<GrantMapping> r = table.MapOne(kGuest, GrantRef{3}, Access::kReadWrite);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), ENOMEM);
  EXPECT_EQ(r.error().op(), "ioctl(GNTDEV_MAP_GRANT_REF)");
  EXPECT_TRUE(table.MapOne(kGuest, GrantRef{3}, Access::kReadWrite).has_value());
}

TEST(FakeGrantTableTest, UnmapNotifyClearsByteAndSendsEvent) {
  FakeGrantTable table;
  std::span<std::byte> guest = MUST(table.AddGrant(kGuest, GrantRef{10}, Access::kReadWrite));
  GrantMapping m = MUST(table.MapOne(kGuest, GrantRef{10}, Access::kReadWrite));
  guest[100] = std::byte{1};
  guest[101] = std::byte{1};
  ASSERT_TRUE(m.SetUnmapNotify({.clear_byte = 100, .event_port = evtchn::Port{7}}).has_value());
  EXPECT_TRUE(table.TakeUnmapEvents().empty());
  m.reset();
  EXPECT_EQ(guest[100], std::byte{0});
  EXPECT_EQ(guest[101], std::byte{1});
  std::vector<evtchn::Port> events = table.TakeUnmapEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].value, 7u);
}

TEST(FakeGrantTableTest, UnmapNotifyIsValidated) {
  FakeGrantTable table;
  MUST(table.AddGrant(kGuest, GrantRef{1}, Access::kReadWrite));
  MUST(table.AddGrant(kGuest, GrantRef{2}, Access::kReadOnly));
  GrantMapping rw = MUST(table.MapOne(kGuest, GrantRef{1}, Access::kReadWrite));
  EXPECT_FALSE(rw.SetUnmapNotify({}).has_value());
  EXPECT_FALSE(rw.SetUnmapNotify({.clear_byte = kPageSize, .event_port = {}}).has_value());
  EXPECT_TRUE(rw.SetUnmapNotify({.clear_byte = kPageSize - 1, .event_port = {}}).has_value());
  GrantMapping ro = MUST(table.MapOne(kGuest, GrantRef{2}, Access::kReadOnly));
  EXPECT_FALSE(ro.SetUnmapNotify({.clear_byte = 0, .event_port = {}}).has_value());
  EXPECT_TRUE(ro.SetUnmapNotify({.clear_byte = {}, .event_port = evtchn::Port{3}}).has_value());
  GrantMapping empty;
  EXPECT_FALSE(empty.SetUnmapNotify({.clear_byte = {}, .event_port = evtchn::Port{3}}).has_value());
}

TEST(FakeGrantTableTest, MoveTransfersAndAssignmentReleasesTheOld) {
  FakeGrantTable table;
  MUST(table.AddGrant(kGuest, GrantRef{1}, Access::kReadWrite));
  MUST(table.AddGrant(kGuest, GrantRef{2}, Access::kReadWrite));
  GrantMapping a = MUST(table.MapOne(kGuest, GrantRef{1}, Access::kReadWrite));
  GrantMapping b = MUST(table.MapOne(kGuest, GrantRef{2}, Access::kReadWrite));
  std::byte* a_data = a.data();
  b = std::move(a);
  EXPECT_FALSE(static_cast<bool>(a));  // NOLINT(bugprone-use-after-move): checking the state
  EXPECT_EQ(b.data(), a_data);
  EXPECT_EQ(table.MapCount(kGuest, GrantRef{2}), 0u);
  EXPECT_EQ(table.MapCount(kGuest, GrantRef{1}), 1u);
  GrantMapping c(std::move(b));
  EXPECT_EQ(c.data(), a_data);
  EXPECT_EQ(table.live_mappings(), 1u);
}

TEST(FakeGrantTableDeathTest, DestroyingTheTableUnderALiveMappingAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto table = std::make_unique<FakeGrantTable>();
        MUST(table->AddGrant(kGuest, GrantRef{1}, Access::kReadWrite));
        auto* leaked =
            new GrantMapping(MUST(table->MapOne(kGuest, GrantRef{1}, Access::kReadWrite)));
        (void)leaked;
        table.reset();
      },
      "live mappings");
}

// ---- FakeGrantAllocator (gntalloc) ----

TEST(FakeGrantAllocatorTest, GuestSeesOurZeroedPagesThroughTheRefs) {
  FakeGrantAllocator alloc;
  Result<SharedPages> shared = alloc.Allocate(kGuest, 2, Access::kReadWrite);
  ASSERT_TRUE(shared.has_value()) << shared.error().ToString();
  ASSERT_EQ(shared->refs().size(), 2u);
  EXPECT_NE(shared->refs()[0], shared->refs()[1]);
  EXPECT_GE(shared->refs()[0].value, 8u);  // reserved entries are never handed out
  ASSERT_EQ(shared->bytes().size(), 2 * kPageSize);
  EXPECT_TRUE(std::all_of(shared->bytes().begin(), shared->bytes().end(),
                          [](std::byte b) { return b == std::byte{0}; }));
  Put(shared->bytes(), kPageSize + 5, "ring");
  ScopedMmap guest = MUST(alloc.GuestMap(kGuest, shared->refs()[1], Access::kReadWrite));
  EXPECT_EQ(Get(guest.bytes(), 5, 4), "ring");
  Put(guest.bytes(), 50, "reply");
  EXPECT_EQ(Get(shared->bytes(), kPageSize + 50, 5), "reply");
  EXPECT_EQ(alloc.live_allocations(), 1u);
}

TEST(FakeGrantAllocatorTest, GrantsAreForOneDomainAndEndWithThePages) {
  FakeGrantAllocator alloc;
  SharedPages shared = MUST(alloc.Allocate(kGuest, 1, Access::kReadOnly));
  GrantRef ref = shared.refs()[0];
  EXPECT_EQ(alloc.GuestMap(6, ref, Access::kReadOnly).error().errno_value(), EINVAL);
  EXPECT_EQ(alloc.GuestMap(kGuest, ref, Access::kReadWrite).error().errno_value(), EPERM);
  ScopedMmap guest = MUST(alloc.GuestMap(kGuest, ref, Access::kReadOnly));
  Put(shared.bytes(), 0, "last words");
  EXPECT_TRUE(alloc.IsGranted(ref));
  shared.reset();
  EXPECT_FALSE(alloc.IsGranted(ref));
  EXPECT_EQ(alloc.live_allocations(), 0u);
  EXPECT_EQ(alloc.GuestMap(kGuest, ref, Access::kReadOnly).error().errno_value(), EINVAL);
  EXPECT_EQ(Get(guest.bytes(), 0, 10), "last words");  // the guest's mapping keeps the page
}

TEST(FakeGrantAllocatorTest, UnmapNotifyReachesTheGuest) {
  FakeGrantAllocator alloc;
  SharedPages shared = MUST(alloc.Allocate(kGuest, 1, Access::kReadWrite));
  ScopedMmap guest = MUST(alloc.GuestMap(kGuest, shared.refs()[0], Access::kReadOnly));
  shared.bytes()[8] = std::byte{1};
  ASSERT_TRUE(shared.SetUnmapNotify({.clear_byte = 8, .event_port = evtchn::Port{12}}).has_value());
  EXPECT_EQ(guest.bytes()[8], std::byte{1});
  shared.reset();
  EXPECT_EQ(guest.bytes()[8], std::byte{0});
  std::vector<evtchn::Port> events = alloc.TakeUnmapEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].value, 12u);
}

TEST(FakeGrantAllocatorTest, RejectsBadCountsAndReportsInjectedErrors) {
  FakeGrantAllocator alloc;
  EXPECT_FALSE(alloc.Allocate(kGuest, 0, Access::kReadWrite).has_value());
  EXPECT_FALSE(alloc.Allocate(kGuest, kMaxPagesPerCall + 1, Access::kReadWrite).has_value());
  alloc.FailNextAlloc(ENOSPC);
  Result<SharedPages> r = alloc.Allocate(kGuest, 1, Access::kReadWrite);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), ENOSPC);
  EXPECT_EQ(r.error().op(), "ioctl(GNTALLOC_ALLOC_GREF)");
  EXPECT_EQ(alloc.live_allocations(), 0u);
}

}  // namespace
}  // namespace krata::xen::gnttab
