// DomainControl's memory_op, event_channel_op and mmuext_op calls against FakeXen.

#include "xen/abi/memory.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <numeric>
#include <string>
#include <vector>

#include "xen/abi/domctl.h"
#include "xen/abi/hypercall.h"
#include "xen/call/domain_control.h"
#include "xen/call/fake_privcmd.h"

namespace krata::xen {
namespace {

bool Contains(const Error& e, const std::string& what) {
  return e.ToString().find(what) != std::string::npos;
}

class MemoryTest : public ::testing::Test {
 protected:
  MemoryTest() : xc_(fake_), dc_(xc_) {}

  // A domain allowed `pages` pages of memory, none populated yet.
  DomId Create(uint64_t pages, uint32_t max_evtchn_port = 1023) {
    CreateDomainConfig config;
    config.max_evtchn_port = max_evtchn_port;
    DomId id = MUST(dc_.CreateDomain(config));
    MUST(dc_.SetMaxMem(id, pages * 4));
    return id;
  }

  FakePrivcmd fake_;
  XenCall xc_;
  DomainControl dc_;
};

TEST_F(MemoryTest, PopulateSuperpagesWritesBackAlignedMfns) {
  DomId id = Create(4096);
  std::vector<uint64_t> extents = {0, 512, 1024, 1536};
  Result<size_t> done = dc_.PopulatePhysmap(id, abi::kSuperpageOrder, extents);
  ASSERT_TRUE(done.has_value()) << done.error().ToString();
  ASSERT_EQ(*done, 4u);
  const FakeDomain* d = fake_.xen().domain(id);
  EXPECT_EQ(d->tot_pages, 2048u);
  for (size_t i = 0; i < extents.size(); ++i) {
    const Mfn mfn = extents[i];  // now the extent's first MFN
    EXPECT_EQ(mfn % 512, 0u) << i;
    EXPECT_EQ(d->p2m.at(i * 512), mfn);
    EXPECT_EQ(d->p2m.at(i * 512 + 511), mfn + 511);
  }
  EXPECT_NE(extents[0], extents[1]);
  EXPECT_EQ(dc_.GetDomainInfo(id)->tot_pages, 2048u);
}

TEST_F(MemoryTest, PopulateBeyondMaxMemIsAShortCount) {
  DomId id = Create(10);
  std::vector<uint64_t> pfns(16);
  std::iota(pfns.begin(), pfns.end(), 0);
  Result<size_t> done = dc_.PopulatePhysmap(id, 0, pfns);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(*done, 10u);
  EXPECT_EQ(fake_.xen().domain(id)->p2m.size(), 10u);
  EXPECT_EQ(pfns[10], 10u);  // entries past the short count are left as they were
}

TEST_F(MemoryTest, PopulateOfMissingDomainNamesIt) {
  std::vector<uint64_t> pfns = {0};
  Result<size_t> r = dc_.PopulatePhysmap(9, 0, pfns);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), ESRCH);
  EXPECT_TRUE(Contains(r.error(), "memory_op populate_physmap: domain 9"));
}

TEST_F(MemoryTest, ClaimIsConsumedByPopulateAndReleasedWithZero) {
  DomId id = Create(1024);
  ASSERT_TRUE(dc_.ClaimPages(id, 1024).has_value());
  EXPECT_EQ(fake_.xen().outstanding_claims(), 1024u);
  std::vector<uint64_t> extents = {0};
  ASSERT_EQ(*dc_.PopulatePhysmap(id, abi::kSuperpageOrder, extents), 1u);
  EXPECT_EQ(fake_.xen().outstanding_claims(), 512u);
  EXPECT_EQ(dc_.GetDomainInfo(id)->outstanding_pages, 512u);
  // Xen allows one claim at a time.
  Result<void> second = dc_.ClaimPages(id, 1024);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().errno_value(), EINVAL);
  ASSERT_TRUE(dc_.ClaimPages(id, 0).has_value());
  EXPECT_EQ(fake_.xen().outstanding_claims(), 0u);
}

TEST_F(MemoryTest, ClaimChecksMaxMemAndFreeMemory) {
  DomId small = Create(100);
  Result<void> over_max = dc_.ClaimPages(small, 101);
  ASSERT_FALSE(over_max.has_value());
  EXPECT_EQ(over_max.error().errno_value(), EINVAL);
  EXPECT_TRUE(Contains(over_max.error(), "memory_op claim_pages: domain 1 (101 pages)"));

  DomId big = Create(1u << 20);
  Result<void> too_much = dc_.ClaimPages(big, fake_.xen().free_pages() + 1);
  ASSERT_FALSE(too_much.has_value());
  EXPECT_EQ(too_much.error().errno_value(), ENOMEM);
}

TEST_F(MemoryTest, ClaimsOfOthersLimitPopulate) {
  DomId greedy = Create(1u << 20);
  DomId other = Create(64);
  const uint64_t free = fake_.xen().free_pages();
  ASSERT_TRUE(dc_.ClaimPages(greedy, free - 4).has_value());
  std::vector<uint64_t> pfns(8);
  std::iota(pfns.begin(), pfns.end(), 0);
  EXPECT_EQ(*dc_.PopulatePhysmap(other, 0, pfns), 4u);
}

TEST_F(MemoryTest, DecreaseReservationFreesFrames) {
  DomId id = Create(64);
  std::vector<uint64_t> pfns = {0, 1, 2};
  ASSERT_EQ(*dc_.PopulatePhysmap(id, 0, pfns), 3u);
  const uint64_t free_before = fake_.xen().free_pages();
  std::vector<uint64_t> mfns = {pfns[1]};
  ASSERT_EQ(*dc_.DecreaseReservation(id, 0, mfns), 1u);
  EXPECT_EQ(fake_.xen().free_pages(), free_before + 1);
  const FakeDomain* d = fake_.xen().domain(id);
  EXPECT_EQ(d->tot_pages, 2u);
  EXPECT_EQ(d->p2m.count(1), 0u);
  // A frame the domain does not own stops the operation.
  std::vector<uint64_t> foreign = {7};
  EXPECT_EQ(*dc_.DecreaseReservation(id, 0, foreign), 0u);
}

TEST_F(MemoryTest, AllocUnboundPortsAreSequentialAndBounded) {
  DomId id = Create(16, /*max_evtchn_port=*/2);
  EXPECT_EQ(*dc_.AllocUnboundPort(id, 0), 1u);
  EXPECT_EQ(*dc_.AllocUnboundPort(id, 0), 2u);
  EXPECT_EQ(fake_.xen().domain(id)->ports.at(1), 0);
  Result<EvtchnPort> full = dc_.AllocUnboundPort(id, 0);
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().errno_value(), ENOSPC);
  EXPECT_TRUE(Contains(full.error(), "event_channel_op alloc_unbound: domain 1"));
  Result<EvtchnPort> missing = dc_.AllocUnboundPort(33, 0);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().errno_value(), ESRCH);
}

TEST_F(MemoryTest, ClosePortClosesOurOwnPort) {
  EvtchnPort port = *dc_.AllocUnboundPort(abi::kDomidSelf, 3);
  EXPECT_EQ(fake_.xen().domain(0)->ports.count(port), 1u);
  ASSERT_TRUE(dc_.ClosePort(port).has_value());
  EXPECT_EQ(fake_.xen().domain(0)->ports.count(port), 0u);
  Result<void> again = dc_.ClosePort(port);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().errno_value(), EINVAL);
}

TEST_F(MemoryTest, PinL4TableUsesTheForeignDomain) {
  DomId id = Create(16);
  std::vector<uint64_t> pfns = {0};
  ASSERT_EQ(*dc_.PopulatePhysmap(id, 0, pfns), 1u);
  ASSERT_TRUE(dc_.PinL4Table(id, pfns[0]).has_value());
  EXPECT_EQ(fake_.xen().domain(id)->pinned_l4, pfns[0]);
  const auto& last = fake_.calls().back();
  EXPECT_EQ(last.op, abi::kHypercallMmuextOp);
  EXPECT_EQ(last.cmd, abi::kMmuextPinL4Table);
  Result<void> bad = dc_.PinL4Table(id, 3);  // not the domain's frame
  ASSERT_FALSE(bad.has_value());
  EXPECT_TRUE(Contains(bad.error(), "mmuext_op pin_l4_table: domain 1"));
}

}  // namespace
}  // namespace krata::xen
