// The hypercall sequence of a PV build (krata.md §3.2-3.5) end to end against FakeXen,
// ending with a leak check: no domain, mapping, claim or frame left behind.

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <numeric>
#include <vector>

#include "xen/abi/grant_table.h"
#include "xen/abi/memory.h"
#include "xen/abi/start_info.h"
#include "xen/abi/vcpu_context.h"
#include "xen/call/domain_control.h"
#include "xen/call/fake_privcmd.h"

namespace krata::xen {
namespace {

TEST(DomainFlowTest, BuildBootAndDestroyLeavesNothingBehind) {
  FakePrivcmd fake;
  XenCall xc(fake);
  DomainControl dc(xc);
  const uint64_t free_before = fake.xen().free_pages();
  constexpr uint64_t kPages = 4096;  // 16 MiB

  CreateDomainConfig config;
  config.max_vcpus = 2;
  config.handle[0] = 0xab;
  const DomId id = MUST(dc.CreateDomain(config));
  MUST(dc.SetMaxVcpus(id, 2));
  MUST(dc.SetMaxMem(id, kPages * 4 + 2048));
  MUST(dc.SetAddressSize(id, 64));
  MUST(dc.ClaimPages(id, kPages));

  // All memory as 2 MiB superpages, then the p2m from the MFNs written back.
  std::vector<uint64_t> extents(kPages / 512);
  for (size_t i = 0; i < extents.size(); ++i) extents[i] = i * 512;
  ASSERT_EQ(MUST(dc.PopulatePhysmap(id, abi::kSuperpageOrder, extents)), extents.size());
  std::vector<uint64_t> p2m(kPages);
  for (size_t i = 0; i < kPages; ++i) p2m[i] = extents[i / 512] + i % 512;
  MUST(dc.ClaimPages(id, 0));
  EXPECT_EQ(fake.xen().outstanding_claims(), 0u);

  // Write a start_info into pfn 10 through a mapping of the whole guest.
  {
    ForeignMapping guest = MUST(dc.MapForeign(id, p2m, PROT_READ | PROT_WRITE));
    abi::StartInfo si{};
    std::strcpy(si.magic, "xen-3.0-x86_64");
    si.nr_pages = kPages;
    std::memcpy(guest.page(10).data(), &si, sizeof(si));
  }
  EXPECT_EQ(std::memcmp(fake.xen().frame(p2m[10]).data(), "xen-3.0-x86_64", 15), 0);

  const EvtchnPort console = MUST(dc.AllocUnboundPort(id, 0));
  const EvtchnPort store = MUST(dc.AllocUnboundPort(id, 0));
  EXPECT_NE(console, store);
  DomainInfo info = MUST(dc.GetDomainInfo(id));
  {
    std::vector<uint64_t> shared = {info.shared_info_frame};
    ForeignMapping si = MUST(dc.MapForeign(id, shared, PROT_READ | PROT_WRITE));
    for (size_t v = 0; v < abi::kLegacyMaxVcpus; ++v) {
      si.data()[v * abi::kVcpuInfoSize + abi::kVcpuInfoUpcallMaskOffset] = std::byte{1};
    }
  }
  MUST(dc.HypercallInit(id, p2m[0x30]));
  MUST(dc.PinL4Table(id, p2m[0x20]));
  abi::VcpuGuestContext ctx{};
  ctx.flags = abi::kVgcfInKernel | abi::kVgcfOnline;
  ctx.user_regs.rip = 0xffffffff81000000;
  ctx.ctrlreg[3] = p2m[0x20] << 12;
  MUST(dc.SetVcpuContext(id, 0, ctx));
  {
    ForeignMapping gnttab = MUST(dc.MapGrantTable(id, 0, 1));
    abi::GrantEntryV1 entries[2] = {{abi::kGtfPermitAccess, 0, static_cast<uint32_t>(p2m[0x11])},
                                    {abi::kGtfPermitAccess, 0, static_cast<uint32_t>(p2m[0x12])}};
    std::memcpy(gnttab.data(), entries, sizeof(entries));
  }
  EXPECT_EQ(fake.xen().live_mappings(), 0u);
  MUST(dc.Unpause(id));

  info = MUST(dc.GetDomainInfo(id));
  EXPECT_TRUE(info.running);
  EXPECT_EQ(info.tot_pages, kPages);
  EXPECT_EQ(info.handle[0], 0xab);
  const FakeDomain* d = fake.xen().domain(id);
  EXPECT_EQ(d->pinned_l4, p2m[0x20]);
  EXPECT_EQ(d->hypercall_page, p2m[0x30]);
  EXPECT_EQ(fake.xen().frame(info.shared_info_frame)[abi::kVcpuInfoSize + 1], std::byte{1});
  abi::GrantEntryV1 seen{};
  std::memcpy(&seen, fake.xen().frame(d->grant_mfn).data(), sizeof(seen));
  EXPECT_EQ(seen.frame, p2m[0x11]);

  MUST(dc.Destroy(id));
  EXPECT_EQ(MUST(dc.ListDomains()).size(), 1u);  // dom0 only
  EXPECT_EQ(fake.xen().live_mappings(), 0u);
  EXPECT_EQ(fake.xen().free_pages(), free_before);
}

}  // namespace
}  // namespace krata::xen
