#include "xen/builder/layout.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <numeric>
#include <vector>

#include "xen/builder/boot_info.h"
#include "xen/builder/page_tables.h"

namespace krata::xen::builder {
namespace {

// Debian 12's 6.1 kernel as libxenguest saw it (xen-lab.md §8.1).
KernelImage DebianKernel() {
  return {.virt_base = 0xffffffff80000000,
          .virt_kstart = 0xffffffff81000000,
          .virt_kend = 0xffffffff84a00000,
          .init_p2m = 0x8000000000,
          .unmapped_initrd = true};
}

TEST(LayoutTest, MatchesLibxenguestForDebianKernel) {
  // 128 MiB and a 0x497010-byte initrd: the exact case xl built in the lab.
  Result<PvLayout> r = ComputeLayout(DebianKernel(), 0x8000, 0x497010);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  const PvLayout& l = *r;
  EXPECT_EQ(l.kernel.pfn, 0x1000u);
  EXPECT_EQ(l.kernel.pages, 0x3a00u);
  EXPECT_EQ(l.start_info.pfn, 0x4a00u);
  EXPECT_EQ(l.xenstore.pfn, 0x4a01u);
  EXPECT_EQ(l.console.pfn, 0x4a02u);
  EXPECT_EQ(l.page_tables.pfn, 0x4a03u);
  EXPECT_EQ(l.page_tables.pages, 0x29u);  // 1 L4 + 1 L3 + 1 L2 + 38 L1
  EXPECT_EQ(l.initial.l1, 38u);
  EXPECT_EQ(l.boot_stack.pfn, 0x4a2cu);
  EXPECT_EQ(l.virt_pgtab_end, 0xffffffff84c00000u);
  EXPECT_EQ(l.initrd.pfn, 0x4c00u);
  EXPECT_EQ(l.initrd.pages, 0x498u);
  EXPECT_EQ(l.p2m.pfn, 0x5098u);
  EXPECT_EQ(l.p2m.pages, 0x43u);  // 64 pages of p2m + L3, L2, L1 for INIT_P2M
  ASSERT_TRUE(l.p2m_map.has_value());
  EXPECT_EQ(l.p2m_map->tables_pfn, 0x5098u + 0x40u);
  EXPECT_EQ(l.used_pages, 0x50dbu);
}

TEST(LayoutTest, RefusesTooLittleMemoryAndBadNotes) {
  Result<PvLayout> small = ComputeLayout(DebianKernel(), 0x4000, 0);  // 64 MiB < kernel area
  ASSERT_FALSE(small.has_value());
  EXPECT_NE(small.error().ToString().find("MiB but the domain has 64 MiB"), std::string::npos);
  KernelImage k = DebianKernel();
  k.virt_kstart = k.virt_base - 0x1000;
  EXPECT_FALSE(ComputeLayout(k, 0x8000, 0).has_value());
  k = DebianKernel();
  k.init_p2m = 0xffffffff82000000;  // inside the kernel mapping
  EXPECT_FALSE(ComputeLayout(k, 0x8000, 0).has_value());
}

TEST(LayoutTest, P2mInsideInitialMappingWithoutInitP2m) {
  KernelImage k = DebianKernel();
  k.init_p2m = 0;
  k.unmapped_initrd = false;
  Result<PvLayout> r = ComputeLayout(k, 0x8000, 3 * 4096 + 1);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->initrd.pfn, 0x4a00u);  // mapped, right after the kernel
  EXPECT_EQ(r->initrd.pages, 4u);
  EXPECT_EQ(r->p2m.pfn, 0x4a04u);
  EXPECT_EQ(r->p2m.vstart, 0xffffffff84a04000u);
  EXPECT_FALSE(r->p2m_map.has_value());
  EXPECT_LT(r->p2m.vend(), r->virt_pgtab_end);
}

// Walks the guest's page tables like the MMU would: va -> (pfn, writable), or nullopt.
struct Walk {
  const VectorGuestPages& mem;
  std::map<Mfn, Pfn> m2p;
  uint64_t Entry(Pfn table, uint64_t index) const {
    uint64_t e;
    std::memcpy(&e, mem.bytes().data() + table * 4096 + index * 8, 8);
    return e;
  }
  std::optional<std::pair<Pfn, bool>> Translate(Pfn root, uint64_t va) const {
    Pfn table = root;
    bool writable = true;
    for (int shift = 39; shift >= 12; shift -= 9) {
      uint64_t e = Entry(table, (va >> shift) & 511);
      if ((e & kPtePresent) == 0) return std::nullopt;
      writable = writable && (e & kPteRw) != 0;
      auto it = m2p.find((e & kPteAddrMask) >> 12);
      if (it == m2p.end()) return std::nullopt;
      table = it->second;
    }
    return std::make_pair(table, writable);
  }
};

TEST(PageTablesTest, MapExactlyTheBootAreaWithTablesReadOnly) {
  PvLayout l = *ComputeLayout(DebianKernel(), 0x8000, 0x497010);
  std::vector<Mfn> p2m(l.total_pages);
  std::iota(p2m.begin(), p2m.end(), Mfn{0x38000});  // arbitrary machine frames
  VectorGuestPages mem(l.total_pages);
  ASSERT_TRUE(WritePageTables(l, p2m, mem).has_value());
  ASSERT_TRUE(WriteP2m(l, p2m, mem).has_value());
  Walk w{mem, {}};
  for (Pfn pfn = 0; pfn < p2m.size(); ++pfn) w.m2p[p2m[pfn]] = pfn;
  const Pfn root = l.RootTablePfn();

  // Every page of the initial mapping maps to its pfn; tables are read-only, the rest writable.
  for (uint64_t va = l.initial.vstart; va < l.virt_pgtab_end; va += kPageSize) {
    auto t = w.Translate(root, va);
    ASSERT_TRUE(t.has_value()) << std::hex << va;
    Pfn want = l.InitialPfn(va);
    ASSERT_EQ(t->first, want);
    ASSERT_EQ(t->second, !l.IsPageTableFrame(want)) << std::hex << va;
  }
  EXPECT_FALSE(w.Translate(root, l.virt_pgtab_end).has_value());  // nothing beyond
  EXPECT_FALSE(w.Translate(root, l.initial.vstart - kPageSize).has_value());
  // The p2m is mapped at INIT_P2M, and holds the MFNs.
  for (uint64_t i = 0; i < l.p2m_data_pages; ++i) {
    auto t = w.Translate(root, l.p2m.vstart + i * kPageSize);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->first, l.p2m.pfn + i);
  }
  EXPECT_FALSE(w.Translate(root, l.p2m.vstart + l.p2m_data_pages * kPageSize).has_value());
  uint64_t mfn5;
  std::memcpy(&mfn5, mem.bytes().data() + l.p2m.pfn * 4096 + 5 * 8, 8);
  EXPECT_EQ(mfn5, p2m[5]);
}

TEST(BootInfoTest, StartInfoAndVcpuContext) {
  PvLayout l = *ComputeLayout(DebianKernel(), 0x8000, 0x497010);
  std::vector<Mfn> p2m(l.total_pages);
  std::iota(p2m.begin(), p2m.end(), Mfn{0x38000});
  Result<abi::StartInfo> si = MakeStartInfo(
      l, p2m, {.shared_info_mfn = 0x3fbb7, .store_evtchn = 1, .console_evtchn = 2,
               .initrd_bytes = 0x497010, .cmdline = "console=hvc0"});
  ASSERT_TRUE(si.has_value());
  EXPECT_STREQ(si->magic, "xen-3.0-x86_64");
  EXPECT_EQ(si->nr_pages, 0x8000u);
  EXPECT_EQ(si->shared_info, 0x3fbb7000u);
  EXPECT_EQ(si->store_mfn, 0x38000u + 0x4a01u);
  EXPECT_EQ(si->console_mfn, 0x38000u + 0x4a02u);
  EXPECT_EQ(si->pt_base, 0xffffffff84a03000u);
  EXPECT_EQ(si->nr_pt_frames, 0x29u);
  EXPECT_EQ(si->mfn_list, 0x8000000000u);
  EXPECT_EQ(si->flags, abi::kSifModStartPfn);
  EXPECT_EQ(si->mod_start, 0x4c00u);
  EXPECT_EQ(si->mod_len, 0x497010u);
  EXPECT_EQ(si->first_p2m_pfn, 0x5098u);
  EXPECT_EQ(si->nr_p2m_frames, 0x43u);
  EXPECT_STREQ(reinterpret_cast<const char*>(si->cmd_line), "console=hvc0");
  EXPECT_FALSE(MakeStartInfo(l, p2m, {.cmdline = std::string(1024, 'x')}).has_value());

  abi::VcpuGuestContext c = MakeBootVcpuContext(l, 0xffffffff830791c0, p2m[l.RootTablePfn()]);
  EXPECT_EQ(c.user_regs.rip, 0xffffffff830791c0u);
  EXPECT_EQ(c.user_regs.rsp, 0xffffffff84a2d000u);  // top of the boot stack page
  EXPECT_EQ(c.user_regs.rsi, 0xffffffff84a00000u);  // start_info
  EXPECT_EQ(c.ctrlreg[3], (0x38000u + 0x4a03u) << 12);
  EXPECT_EQ(c.user_regs.cs, 0xe033);
}

}  // namespace
}  // namespace krata::xen::builder
