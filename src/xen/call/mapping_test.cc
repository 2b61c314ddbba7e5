// Foreign and resource mappings against FakeXen: the mapping really aliases the fake's
// machine frames, so writes through it are visible in FakeXen::frame().

#include "xen/call/mapping.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "xen/abi/grant_table.h"
#include "xen/abi/memory.h"
#include "xen/call/domain_control.h"
#include "xen/call/fake_privcmd.h"

namespace krata::xen {
namespace {

bool Contains(const Error& e, const std::string& what) {
  return e.ToString().find(what) != std::string::npos;
}

class MappingTest : public ::testing::Test {
 protected:
  MappingTest() : xc_(fake_), dc_(xc_) {}

  // A domain with `pages` populated 4 KiB pages; returns their MFNs (pfn order).
  std::vector<uint64_t> Populate(DomId* id, uint64_t pages) {
    *id = MUST(dc_.CreateDomain({}));
    MUST(dc_.SetMaxMem(*id, pages * 4));
    std::vector<uint64_t> frames(pages);
    std::iota(frames.begin(), frames.end(), 0);
    EXPECT_EQ(MUST(dc_.PopulatePhysmap(*id, 0, frames)), pages);
    return frames;
  }

  static MapOptions NoDelay(int retries = 10) {
    MapOptions o;
    o.paged_retries = retries;
    o.paged_retry_delay_us = 0;
    return o;
  }

  FakePrivcmd fake_;
  XenCall xc_;
  DomainControl dc_;
};

TEST_F(MappingTest, WritesThroughAMappingReachTheGuestFrames) {
  DomId id = 0;
  std::vector<uint64_t> mfns = Populate(&id, 3);
  // Map in a scrambled order: page i of the mapping is mfns[order[i]].
  std::vector<uint64_t> order = {mfns[2], mfns[0], mfns[1]};
  Result<ForeignMapping> m = dc_.MapForeign(id, order, PROT_READ | PROT_WRITE);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(m->pages(), 3u);
  EXPECT_EQ(fake_.xen().live_mappings(), 1u);
  std::memcpy(m->page(0).data(), "two", 4);
  std::memcpy(m->page(1).data(), "zero", 5);
  EXPECT_STREQ(reinterpret_cast<const char*>(fake_.xen().frame(mfns[2]).data()), "two");
  EXPECT_STREQ(reinterpret_cast<const char*>(fake_.xen().frame(mfns[0]).data()), "zero");
  m->reset();
  EXPECT_EQ(fake_.xen().live_mappings(), 0u);
}

TEST_F(MappingTest, MovedMappingStaysLiveOnce) {
  DomId id = 0;
  std::vector<uint64_t> mfns = Populate(&id, 1);
  ForeignMapping a = MUST(dc_.MapForeign(id, mfns, PROT_READ));
  ForeignMapping b = std::move(a);
  EXPECT_FALSE(static_cast<bool>(a));  // NOLINT(bugprone-use-after-move): checking the move
  EXPECT_EQ(fake_.xen().live_mappings(), 1u);
  b = ForeignMapping();
  EXPECT_EQ(fake_.xen().live_mappings(), 0u);
}

TEST_F(MappingTest, SharedInfoFrameIsMappable) {
  DomId id = 0;
  Populate(&id, 1);
  DomainInfo info = MUST(dc_.GetDomainInfo(id));
  std::vector<uint64_t> frame = {info.shared_info_frame};
  Result<ForeignMapping> m = dc_.MapForeign(id, frame, PROT_READ | PROT_WRITE);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  m->data()[1] = std::byte{1};  // vcpu_info[0].evtchn_upcall_mask
  EXPECT_EQ(fake_.xen().frame(info.shared_info_frame)[1], std::byte{1});
}

TEST_F(MappingTest, FrameOfAnotherOwnerFailsAndLeavesNothingMapped) {
  DomId id = 0;
  std::vector<uint64_t> mfns = Populate(&id, 2);
  std::vector<uint64_t> frames = {mfns[0], 5, mfns[1], 6};
  Result<ForeignMapping> m = dc_.MapForeign(id, frames, PROT_READ);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().errno_value(), EINVAL);
  EXPECT_TRUE(Contains(m.error(), "map foreign: domain 1: frame 0x5 (index 1), 2 of 4 frames"))
      << m.error().ToString();
  EXPECT_EQ(fake_.xen().live_mappings(), 0u);
}

TEST_F(MappingTest, MissingDomainFails) {
  std::vector<uint64_t> frames = {1};
  Result<ForeignMapping> m = dc_.MapForeign(12, frames, PROT_READ);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().errno_value(), ESRCH);
  EXPECT_EQ(fake_.xen().live_mappings(), 0u);
}

TEST_F(MappingTest, PagedOutFramesAreRetriedInSubBatches) {
  DomId id = 0;
  std::vector<uint64_t> mfns = Populate(&id, 4);
  fake_.xen().PageOut(mfns[1], 2);
  fake_.xen().PageOut(mfns[2], 1);
  Result<ForeignMapping> m = dc_.MapForeign(id, mfns, PROT_READ | PROT_WRITE, NoDelay());
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  // First batch; then the run {1,2} again (2 still paged); then {1} alone.
  EXPECT_EQ(fake_.mmap_batch_calls(), 3u);
  m->page(1)[0] = std::byte{0x42};
  EXPECT_EQ(fake_.xen().frame(mfns[1])[0], std::byte{0x42});
}

TEST_F(MappingTest, FramesPagedOutForeverGiveUp) {
  DomId id = 0;
  std::vector<uint64_t> mfns = Populate(&id, 2);
  fake_.xen().PageOut(mfns[0], 1000);
  Result<ForeignMapping> m = dc_.MapForeign(id, mfns, PROT_READ, NoDelay(3));
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().errno_value(), ENOENT);
  EXPECT_EQ(fake_.mmap_batch_calls(), 4u);
  EXPECT_EQ(fake_.xen().live_mappings(), 0u);
}

TEST_F(MappingTest, GrantTableFrameZeroIsMappedAsAResource) {
  DomId id = 0;
  std::vector<uint64_t> mfns = Populate(&id, 2);
  Result<ForeignMapping> m = dc_.MapGrantTable(id, 0, 1);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  abi::GrantEntryV1 entry{abi::kGtfPermitAccess, 0, static_cast<uint32_t>(mfns[1])};
  std::memcpy(m->data() + abi::kGnttabReservedXenstore * sizeof(entry), &entry, sizeof(entry));
  const FakeDomain* d = fake_.xen().domain(id);
  abi::GrantEntryV1 seen{};
  std::memcpy(&seen, fake_.xen().frame(d->grant_mfn).data() + sizeof(seen), sizeof(seen));
  EXPECT_EQ(seen.flags, abi::kGtfPermitAccess);
  EXPECT_EQ(seen.frame, mfns[1]);
  Result<ForeignMapping> frame1 = dc_.MapGrantTable(id, 1, 1);
  ASSERT_FALSE(frame1.has_value());
  EXPECT_EQ(frame1.error().errno_value(), EINVAL);
  EXPECT_TRUE(Contains(frame1.error(), "map resource 1/0 frame 1+1: domain 1"));
  EXPECT_EQ(fake_.xen().live_mappings(), 1u);
}

TEST_F(MappingTest, DestroyedDomainLingersWhileMappedThenMemoryIsScrubbed) {
  const uint64_t free_before = fake_.xen().free_pages();
  DomId id = 0;
  std::vector<uint64_t> mfns = Populate(&id, 2);
  ForeignMapping m = MUST(dc_.MapForeign(id, mfns, PROT_READ | PROT_WRITE));
  m.page(0)[0] = std::byte{0x7f};
  ASSERT_TRUE(dc_.Destroy(id).has_value());
  DomainInfo info = MUST(dc_.GetDomainInfo(id));
  EXPECT_TRUE(info.dying);
  EXPECT_EQ(MUST(dc_.ListDomains()).size(), 2u);
  m.reset();
  EXPECT_EQ(fake_.xen().domain(id), nullptr);
  EXPECT_EQ(fake_.xen().free_pages(), free_before);
  EXPECT_EQ(fake_.xen().frame(mfns[0])[0], std::byte{0});  // scrubbed on free
}

// The fake enforces Linux's privcmd VMA rules, so MapForeign's retry logic is held to them.
TEST_F(MappingTest, FirstBatchMustCoverTheReservationAndLaterOnesOnlyHoles) {
  DomId id = 0;
  std::vector<uint64_t> mfns = Populate(&id, 2);
  ForeignMapping r = MUST(fake_.ReserveMapping(2, PROT_READ));
  std::vector<int> errs(2, 0);
  Result<void> partial =
      fake_.MmapBatch(id, r.data(), std::span(mfns).first(1), std::span(errs).first(1));
  ASSERT_FALSE(partial.has_value());
  EXPECT_EQ(partial.error().errno_value(), EINVAL);
  ASSERT_TRUE(fake_.MmapBatch(id, r.data(), mfns, errs).has_value());
  EXPECT_EQ(errs, (std::vector<int>{0, 0}));
  Result<void> again = fake_.MmapBatch(id, r.data(), mfns, errs);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().errno_value(), EINVAL);
}

TEST_F(MappingTest, ResourceOfUnknownTypeFails) {
  DomId id = 0;
  Populate(&id, 1);
  Result<ForeignMapping> m = MapResource(fake_, id, 99, 0, 0, 1, PROT_READ);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().errno_value(), EINVAL);
  EXPECT_EQ(fake_.xen().live_mappings(), 0u);
}

}  // namespace
}  // namespace krata::xen
