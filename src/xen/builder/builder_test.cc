// The builder end to end on the fake hypervisor: the domain it leaves behind must be exactly
// what a PV guest boots from, and a failure at any step must leave nothing behind.

#include "xen/builder/builder.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "xen/abi/domctl.h"
#include "xen/abi/grant_table.h"
#include "xen/abi/hypercall.h"
#include "xen/abi/memory.h"
#include "xen/abi/start_info.h"
#include "xen/boot/testing.h"
#include "xen/call/fake_privcmd.h"

namespace krata::xen::builder {
namespace {

class BuilderTest : public ::testing::Test {
 protected:
  BuilderTest() : privcmd_(host()), xc_(privcmd_), dc_(xc_) {}
  static FakeHost host() {
    FakeHost h;
    h.total_pages = 131072;  // 512 MiB host, 300 MiB free
    h.free_pages = 76800;
    return h;
  }
  boot::LoadedKernel Kernel() {
    kernel_bytes_ = boot::testing::SmallPvKernel();
    return MUST(boot::LoadKernel(kernel_bytes_));
  }
  FakeXen& xen() { return privcmd_.xen(); }
  // Reads guest page `pfn` of `domid` through the fake's machine memory.
  std::span<std::byte> GuestPage(DomId domid, Pfn pfn) {
    return xen().frame(xen().domain(domid)->p2m.at(pfn));
  }

  FakePrivcmd privcmd_;
  XenCall xc_;
  DomainControl dc_;
  boot::testing::Bytes kernel_bytes_;
};

TEST_F(BuilderTest, BuildsAPausedDomainReadyToBoot) {
  boot::LoadedKernel kernel = Kernel();
  std::string initrd(10000, 'I');
  BuildConfig cfg{.memory_mib = 64, .max_memory_mib = 96, .vcpus = 2, .cmdline = "console=hvc0"};
  cfg.uuid[0] = 0xab;
  Result<BuiltDomain> r = BuildPvDomain(dc_, kernel, AsBytes(initrd), cfg);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  const BuiltDomain& b = *r;
  const FakeDomain* d = xen().domain(b.domid);
  ASSERT_NE(d, nullptr);
  EXPECT_GT(d->pause_count, 0u);  // left paused for the caller
  EXPECT_EQ(d->address_size, 64u);
  EXPECT_EQ(d->tot_pages, 64u * 256);
  EXPECT_EQ(d->max_pages, (96u * 1024 + 2048) / 4);
  EXPECT_EQ(d->outstanding_pages, 0u);  // claim released
  EXPECT_EQ(d->config.handle[0], 0xab);
  EXPECT_EQ(xen().live_mappings(), 0u);  // the builder unmapped everything

  // Kernel bytes at their pfn, initrd after the boot mapping (MOD_START_PFN).
  const PvLayout& l = b.layout;
  auto kernel_page = GuestPage(b.domid, l.kernel.pfn);
  ASSERT_GE(kernel.image.loads.size(), 1u);
  const auto& seg0 = kernel.image.loads[0];
  EXPECT_EQ(std::memcmp(kernel_page.data(), kernel.elf.data() + seg0.offset,
                        std::min<uint64_t>(seg0.filesz, 4096)),
            0);
  auto initrd_page = GuestPage(b.domid, l.initrd.pfn);
  EXPECT_EQ(static_cast<char>(initrd_page[0]), 'I');

  // start_info as the guest will read it.
  abi::StartInfo si;
  std::memcpy(&si, GuestPage(b.domid, l.start_info.pfn).data(), sizeof si);
  EXPECT_STREQ(si.magic, "xen-3.0-x86_64");
  EXPECT_EQ(si.nr_pages, 64u * 256);
  EXPECT_EQ(si.store_mfn, b.store_mfn);
  EXPECT_EQ(si.console_evtchn, b.console_evtchn);
  EXPECT_EQ(si.shared_info, d->shared_info_mfn << 12);
  EXPECT_EQ(si.mod_len, initrd.size());
  EXPECT_STREQ(reinterpret_cast<const char*>(si.cmd_line), "console=hvc0");
  EXPECT_NE(b.store_evtchn, b.console_evtchn);
  EXPECT_EQ(d->ports.count(b.store_evtchn), 1u);

  // Root table pinned, vCPU 0 pointed at the entry with cr3 = the pinned root.
  ASSERT_TRUE(d->pinned_l4.has_value());
  EXPECT_EQ(*d->pinned_l4, d->p2m.at(l.RootTablePfn()));
  ASSERT_TRUE(d->vcpus.size() >= 1 && d->vcpus[0].has_value());
  EXPECT_EQ(d->vcpus[0]->user_regs.rip, kernel.info.entry);
  EXPECT_EQ(d->vcpus[0]->ctrlreg[3], *d->pinned_l4 << 12);

  // Grant entries 0/1 seeded for dom0; every vCPU's upcalls masked in shared_info.
  auto gt = xen().frame(d->grant_mfn);
  abi::GrantEntryV1 e0, e1;
  std::memcpy(&e0, gt.data(), 8);
  std::memcpy(&e1, gt.data() + 8, 8);
  EXPECT_EQ(e0.flags, abi::kGtfPermitAccess);
  EXPECT_EQ(e0.frame, b.console_mfn);
  EXPECT_EQ(e1.frame, b.store_mfn);
  EXPECT_EQ(e1.domid, 0);
  auto shared = xen().frame(d->shared_info_mfn);
  EXPECT_EQ(shared[abi::kVcpuInfoUpcallMaskOffset], std::byte{1});
  EXPECT_EQ(shared[31 * abi::kVcpuInfoSize + abi::kVcpuInfoUpcallMaskOffset], std::byte{1});
}

TEST_F(BuilderTest, FailureAfterCreateDestroysTheDomain) {
  boot::LoadedKernel kernel = Kernel();
  size_t before = xen().domids().size();
  // Pinning fails: everything done so far must be undone.
  xen().InjectError(abi::kHypercallMmuextOp, abi::kMmuextPinL4Table, EINVAL);
  Result<BuiltDomain> r = BuildPvDomain(dc_, kernel, {}, {.memory_mib = 32, .max_memory_mib = 32});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("domain "), std::string::npos);
  EXPECT_EQ(xen().domids().size(), before);
  EXPECT_EQ(xen().live_mappings(), 0u);
}

TEST_F(BuilderTest, OutOfMemoryIsAClearErrorAndLeavesNothing) {
  boot::LoadedKernel kernel = Kernel();
  size_t before = xen().domids().size();
  uint64_t free_before = xen().free_pages();
  Result<BuiltDomain> r =
      BuildPvDomain(dc_, kernel, {}, {.memory_mib = 400, .max_memory_mib = 400});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(xen().domids().size(), before);
  EXPECT_EQ(xen().free_pages(), free_before);
}

TEST_F(BuilderTest, RejectsBadConfigBeforeTouchingXen) {
  boot::LoadedKernel kernel = Kernel();
  EXPECT_FALSE(BuildPvDomain(dc_, kernel, {}, {.memory_mib = 64, .max_memory_mib = 32}).has_value());
  EXPECT_FALSE(BuildPvDomain(dc_, kernel, {}, {.memory_mib = 64, .max_memory_mib = 64, .vcpus = 0})
                   .has_value());
  EXPECT_EQ(xen().domids().size(), 1u);  // only dom0
}

}  // namespace
}  // namespace krata::xen::builder
