// DomainControl's domctl and sysctl calls against FakeXen.

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "xen/abi/hypercall.h"
#include "xen/call/domain_control.h"
#include "xen/call/fake_privcmd.h"

namespace krata::xen {
namespace {

bool Contains(const Error& e, const std::string& what) {
  return e.ToString().find(what) != std::string::npos;
}

class DomctlTest : public ::testing::Test {
 protected:
  explicit DomctlTest(FakeHost host = {}) : fake_(std::move(host)), xc_(fake_), dc_(xc_) {}

  DomId Create(uint32_t max_vcpus = 1) {
    CreateDomainConfig config;
    config.max_vcpus = max_vcpus;
    Result<DomId> id = dc_.CreateDomain(config);
    EXPECT_TRUE(id.has_value()) << id.error().ToString();
    return id.value_or(0);
  }

  size_t CountCalls(uint64_t op, uint64_t cmd) const {
    size_t n = 0;
    for (const auto& c : fake_.calls()) n += (c.op == op && c.cmd == cmd) ? 1 : 0;
    return n;
  }

  FakePrivcmd fake_;
  XenCall xc_;
  DomainControl dc_;
};

TEST_F(DomctlTest, ProbesVersionOnceWithGetdomaininfoOnDom0) {
  EXPECT_EQ(*dc_.DomctlInterfaceVersion(), 0x15u);
  EXPECT_EQ(*dc_.DomctlInterfaceVersion(), 0x15u);
  ASSERT_EQ(fake_.calls().size(), 1u);
  EXPECT_EQ(fake_.calls()[0].op, abi::kHypercallDomctl);
  EXPECT_EQ(fake_.calls()[0].cmd, abi::kDomctlGetDomainInfo);
  EXPECT_EQ(fake_.calls()[0].sub, 0x15u);
}

TEST_F(DomctlTest, ProbeFailureOtherThanEaccesIsReportedAndNotCached) {
  fake_.xen().InjectError(abi::kHypercallDomctl, abi::kDomctlGetDomainInfo, EPERM);
  Result<uint32_t> v = dc_.DomctlInterfaceVersion();
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().errno_value(), EPERM);
  EXPECT_TRUE(Contains(v.error(), "probe"));
  EXPECT_EQ(*dc_.DomctlInterfaceVersion(), 0x15u);
}

TEST(DomctlProbeTest, NextVersionAfterEacces) {
  FakeHost host;
  host.domctl_version = 0x16;
  FakePrivcmd fake(host);
  XenCall xc(fake);
  DomainControl dc(xc);
  EXPECT_EQ(*dc.DomctlInterfaceVersion(), 0x16u);
  ASSERT_EQ(fake.calls().size(), 2u);
  EXPECT_EQ(fake.calls()[0].sub, 0x15u);
  EXPECT_EQ(fake.calls()[1].sub, 0x16u);
  // Later domctls carry the probed version.
  ASSERT_TRUE(dc.CreateDomain({}).has_value());
  EXPECT_EQ(fake.calls().back().sub, 0x16u);
}

TEST(DomctlProbeTest, UnknownVersionIsAClearError) {
  FakeHost host;
  host.domctl_version = 0x99;
  FakePrivcmd fake(host);
  XenCall xc(fake);
  DomainControl dc(xc);
  Result<DomId> id = dc.CreateDomain({});
  ASSERT_FALSE(id.has_value());
  EXPECT_TRUE(Contains(id.error(), "unsupported Xen"));
  EXPECT_TRUE(Contains(id.error(), "domctl createdomain"));
}

TEST_F(DomctlTest, CreateDomainPassesUpstreamDefaults) {
  CreateDomainConfig config;
  for (size_t i = 0; i < config.handle.size(); ++i) config.handle[i] = static_cast<uint8_t>(i + 1);
  config.max_vcpus = 2;
  Result<DomId> id = dc_.CreateDomain(config);
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  EXPECT_EQ(*id, 1);
  const FakeDomain* d = fake_.xen().domain(*id);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->config.ssidref, abi::kSecInitSidDomU);
  EXPECT_EQ(d->config.flags, 0u);
  EXPECT_EQ(d->config.max_vcpus, 2u);
  EXPECT_EQ(d->config.max_evtchn_port, 1023u);
  EXPECT_EQ(d->config.max_grant_frames, -1);
  EXPECT_EQ(d->config.max_maptrack_frames, -1);
  EXPECT_EQ(d->config.grant_opts, 2u);
  EXPECT_EQ(d->config.handle[0], 1);
  EXPECT_EQ(d->config.handle[15], 16);
  EXPECT_EQ(Create(), 2);  // the next free domid
}

TEST_F(DomctlTest, CreateDomainWithChosenDomidAndConflict) {
  CreateDomainConfig config;
  config.domid = 7;
  ASSERT_EQ(*dc_.CreateDomain(config), 7);
  Result<DomId> again = dc_.CreateDomain(config);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().errno_value(), EEXIST);
  EXPECT_TRUE(Contains(again.error(), "domctl createdomain: domain 7"));
}

TEST_F(DomctlTest, CreateDomainRejectsHvmInThisModel) {
  CreateDomainConfig config;
  config.flags = abi::kCdfHvm | abi::kCdfHap;
  Result<DomId> id = dc_.CreateDomain(config);
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().errno_value(), EINVAL);
}

TEST_F(DomctlTest, MaxVcpusMustMatchCreate) {
  DomId id = Create(2);
  Result<void> wrong = dc_.SetMaxVcpus(id, 3);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().errno_value(), EINVAL);
  EXPECT_TRUE(Contains(wrong.error(), "domctl max_vcpus: domain 1"));
  ASSERT_TRUE(dc_.SetMaxVcpus(id, 2).has_value());
  EXPECT_TRUE(fake_.xen().domain(id)->vcpus_created);
}

TEST_F(DomctlTest, MaxMemIsKibAndAddressSizeIsRecorded) {
  DomId id = Create();
  ASSERT_TRUE(dc_.SetMaxMem(id, 128 * 1024 + 2048).has_value());
  EXPECT_EQ(fake_.xen().domain(id)->max_pages, (128u * 1024 + 2048) / 4);
  ASSERT_TRUE(dc_.SetAddressSize(id, 64).has_value());
  EXPECT_EQ(fake_.xen().domain(id)->address_size, 64u);
  EXPECT_FALSE(dc_.SetAddressSize(id, 48).has_value());
  Result<DomainInfo> info = dc_.GetDomainInfo(id);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->max_pages, (128u * 1024 + 2048) / 4);
}

TEST_F(DomctlTest, OperationsOnMissingDomainNameOpAndDomid) {
  Result<void> r = dc_.SetMaxMem(42, 1024);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), ESRCH);
  EXPECT_TRUE(Contains(r.error(), "domctl max_mem: domain 42")) << r.error().ToString();
}

TEST_F(DomctlTest, GetDomainInfoDoesNotAnswerForTheNextDomain) {
  Create();  // 1
  CreateDomainConfig config;
  config.domid = 5;
  ASSERT_TRUE(dc_.CreateDomain(config).has_value());
  // Xen 4.17 reports domain 5 when asked about 3; we must not.
  Result<DomainInfo> info = dc_.GetDomainInfo(3);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().errno_value(), ESRCH);
  EXPECT_TRUE(Contains(info.error(), "domain 3"));
  Result<DomainInfo> past_end = dc_.GetDomainInfo(9);
  ASSERT_FALSE(past_end.has_value());
  EXPECT_EQ(past_end.error().errno_value(), ESRCH);
}

TEST_F(DomctlTest, NewDomainIsPausedUntilUnpausedAndRunsWithAnOnlineVcpu) {
  DomId id = Create();
  ASSERT_TRUE(dc_.SetMaxVcpus(id, 1).has_value());
  DomainInfo info = *dc_.GetDomainInfo(id);
  EXPECT_EQ(info.domid, id);
  EXPECT_TRUE(info.paused);
  EXPECT_FALSE(info.running);
  EXPECT_EQ(info.nr_online_vcpus, 0u);
  EXPECT_NE(info.shared_info_frame, 0u);

  abi::VcpuGuestContext ctx{};
  ctx.flags = abi::kVgcfInKernel | abi::kVgcfOnline;
  ctx.user_regs.rip = 0xffffffff830791c0;
  ctx.user_regs.cs = abi::kFlatKernelCs64;
  ctx.ctrlreg[3] = 0x38203ull << 12;
  ASSERT_TRUE(dc_.SetVcpuContext(id, 0, ctx).has_value());
  const FakeDomain* d = fake_.xen().domain(id);
  ASSERT_TRUE(d->vcpus[0].has_value());
  EXPECT_EQ(d->vcpus[0]->user_regs.rip, 0xffffffff830791c0u);
  EXPECT_EQ(d->vcpus[0]->ctrlreg[3], 0x38203ull << 12);

  ASSERT_TRUE(dc_.Unpause(id).has_value());
  info = *dc_.GetDomainInfo(id);
  EXPECT_FALSE(info.paused);
  EXPECT_TRUE(info.running);
  EXPECT_EQ(info.nr_online_vcpus, 1u);
  Result<void> again = dc_.Unpause(id);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().errno_value(), EINVAL);
  ASSERT_TRUE(dc_.Pause(id).has_value());
  EXPECT_TRUE(dc_.GetDomainInfo(id)->paused);
}

TEST_F(DomctlTest, SetVcpuContextChecksTheVcpu) {
  DomId id = Create(1);
  abi::VcpuGuestContext ctx{};
  Result<void> early = dc_.SetVcpuContext(id, 0, ctx);  // before max_vcpus
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error().errno_value(), EINVAL);
  ASSERT_TRUE(dc_.SetMaxVcpus(id, 1).has_value());
  Result<void> out_of_range = dc_.SetVcpuContext(id, 1, ctx);
  ASSERT_FALSE(out_of_range.has_value());
  EXPECT_TRUE(Contains(out_of_range.error(), "domctl setvcpucontext: domain 1"));
}

TEST_F(DomctlTest, ShutdownReasonIsDecoded) {
  DomId id = Create();
  fake_.xen().ShutdownDomain(id, 2);  // SHUTDOWN_suspend
  DomainInfo info = *dc_.GetDomainInfo(id);
  EXPECT_TRUE(info.shutdown);
  EXPECT_EQ(info.shutdown_reason, 2u);
  EXPECT_FALSE(info.running);
}

TEST_F(DomctlTest, DestroyRemovesTheDomainAndItsMemory) {
  const uint64_t free_before = fake_.xen().free_pages();
  DomId id = Create();
  ASSERT_TRUE(dc_.SetMaxMem(id, 4096).has_value());
  std::vector<uint64_t> pfns = {0, 1, 2, 3};
  ASSERT_EQ(*dc_.PopulatePhysmap(id, 0, pfns), 4u);
  EXPECT_LT(fake_.xen().free_pages(), free_before);
  ASSERT_TRUE(dc_.Destroy(id).has_value());
  EXPECT_EQ(fake_.xen().domain(id), nullptr);
  EXPECT_EQ(fake_.xen().free_pages(), free_before);
  Result<DomainInfo> info = dc_.GetDomainInfo(id);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().errno_value(), ESRCH);
  Result<void> twice = dc_.Destroy(id);
  ASSERT_FALSE(twice.has_value());
  EXPECT_TRUE(Contains(twice.error(), "domctl destroydomain: domain 1"));
}

TEST_F(DomctlTest, DestroyReissuesOnEagain) {
  DomId id = Create();
  fake_.xen().InjectError(abi::kHypercallDomctl, abi::kDomctlDestroyDomain, EAGAIN, 2);
  ASSERT_TRUE(dc_.Destroy(id).has_value());
  EXPECT_EQ(CountCalls(abi::kHypercallDomctl, abi::kDomctlDestroyDomain), 3u);
  EXPECT_EQ(fake_.xen().domain(id), nullptr);
}

TEST_F(DomctlTest, DestroyDoesNotRetryOtherErrors) {
  DomId id = Create();
  fake_.xen().InjectError(abi::kHypercallDomctl, abi::kDomctlDestroyDomain, EBUSY, 1);
  Result<void> r = dc_.Destroy(id);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errno_value(), EBUSY);
  EXPECT_EQ(CountCalls(abi::kHypercallDomctl, abi::kDomctlDestroyDomain), 1u);
}

TEST_F(DomctlTest, ListDomainsIncludesDom0AndPagesThroughBatches) {
  Result<std::vector<DomainInfo>> only_dom0 = dc_.ListDomains();
  ASSERT_TRUE(only_dom0.has_value()) << only_dom0.error().ToString();
  ASSERT_EQ(only_dom0->size(), 1u);
  EXPECT_EQ((*only_dom0)[0].domid, 0);
  EXPECT_TRUE((*only_dom0)[0].running);

  for (int i = 0; i < 70; ++i) Create();  // more than one 64-entry batch
  Result<std::vector<DomainInfo>> all = dc_.ListDomains();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 71u);
  for (size_t i = 0; i < all->size(); ++i) EXPECT_EQ((*all)[i].domid, i);
  ASSERT_TRUE(dc_.Destroy(35).has_value());
  EXPECT_EQ(dc_.ListDomains()->size(), 70u);
}

TEST_F(DomctlTest, HypercallInitNeedsAFrameOfTheDomain) {
  DomId id = Create();
  ASSERT_TRUE(dc_.SetMaxMem(id, 64).has_value());
  std::vector<uint64_t> pfns = {0};
  ASSERT_EQ(*dc_.PopulatePhysmap(id, 0, pfns), 1u);
  ASSERT_TRUE(dc_.HypercallInit(id, pfns[0]).has_value());
  EXPECT_EQ(fake_.xen().domain(id)->hypercall_page, pfns[0]);
  Result<void> bad = dc_.HypercallInit(id, 5);  // a Xen-owned frame
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().errno_value(), EINVAL);
}

}  // namespace
}  // namespace krata::xen
