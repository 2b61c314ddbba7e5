#include "xen/builder/layout.h"

#include <string>

#include "base/checked.h"

namespace krata::xen::builder {
namespace {

constexpr uint64_t kMiB = 1 << 20;
// xen.h: at least 512 KiB of padding after the boot stack, mapping rounded to 4 MiB.
constexpr uint64_t kPadding = 512 * 1024;
constexpr uint64_t kMappingAlign = 4 * kMiB;

uint64_t PagesFor(uint64_t bytes) { return (bytes + kPageSize - 1) / kPageSize; }

// Number of distinct aligned regions of 2^shift bytes that [start, end) touches.
uint32_t Regions(uint64_t start, uint64_t end, unsigned shift) {
  if (end <= start) return 0;
  return static_cast<uint32_t>(((end - 1) >> shift) - (start >> shift) + 1);
}

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

// Sequential allocator of virtually-contiguous segments, like libxenguest's virt_alloc_end.
class Allocator {
 public:
  explicit Allocator(uint64_t virt_base) : base_(virt_base), end_(virt_base) {}
  Segment Alloc(uint64_t pages) {
    Segment s{end_, (end_ - base_) >> kPageShift, pages};
    end_ += pages * kPageSize;
    return s;
  }
  void SkipTo(uint64_t va) {
    if (va > end_) end_ = va;
  }
  uint64_t end() const { return end_; }

 private:
  uint64_t base_;
  uint64_t end_;
};

}  // namespace

Mapping CountTables(uint64_t vstart, uint64_t vend) {
  Mapping m;
  m.vstart = vstart;
  m.vend = vend;
  m.l3 = Regions(vstart, vend, 39);  // one L3 per 512 GiB
  m.l2 = Regions(vstart, vend, 30);  // one L2 per 1 GiB
  m.l1 = Regions(vstart, vend, 21);  // one L1 per 2 MiB
  return m;
}

bool PvLayout::IsPageTableFrame(Pfn pfn) const {
  if (pfn >= initial.tables_pfn && pfn < initial.tables_pfn + initial.tables()) return true;
  return p2m_map && pfn >= p2m_map->tables_pfn && pfn < p2m_map->tables_pfn + p2m_map->tables();
}

Result<PvLayout> ComputeLayout(const KernelImage& k, uint64_t total_pages, uint64_t initrd_bytes) {
  constexpr std::string_view kOp = "pv layout";
  if (k.virt_base % kPageSize != 0 || k.virt_kstart % kPageSize != 0) {
    return Error::Invalid(kOp, "kernel VIRT_BASE or start is not page-aligned");
  }
  if (k.virt_kstart < k.virt_base || k.virt_kend <= k.virt_kstart) {
    return Error::Invalid(kOp, "kernel range " + Hex(k.virt_kstart) + ".." + Hex(k.virt_kend) +
                                   " is not above VIRT_BASE " + Hex(k.virt_base));
  }
  if (total_pages == 0 || total_pages > (1ull << 40)) {
    return Error::Invalid(kOp, "bad memory size of " + std::to_string(total_pages) + " pages");
  }
  PvLayout l;
  l.total_pages = total_pages;
  l.p2m_data_pages = PagesFor(total_pages * 8);
  Allocator a(k.virt_base);

  a.SkipTo(k.virt_kstart);
  l.kernel = a.Alloc(PagesFor(k.virt_kend - k.virt_kstart));
  const uint64_t initrd_pages = PagesFor(initrd_bytes);
  if (!k.unmapped_initrd && initrd_pages > 0) l.initrd = a.Alloc(initrd_pages);
  if (k.init_p2m == 0) l.p2m = a.Alloc(l.p2m_data_pages);  // inside the initial mapping
  l.start_info = a.Alloc(1);
  l.xenstore = a.Alloc(1);
  l.console = a.Alloc(1);

  // The tables must map themselves, the boot stack and the padding: iterate to a fixed point.
  const uint64_t tables_va = a.end();
  uint32_t tables = 1;
  Mapping m;
  for (int round = 0;; ++round) {
    uint64_t stack_end = tables_va + (tables + 1) * kPageSize;
    std::optional<uint64_t> end = AlignUp(stack_end + kPadding, kMappingAlign);
    if (!end) return Error::Invalid(kOp, "initial mapping overflows the address space");
    m = CountTables(k.virt_base, *end);
    m.l4 = 1;
    if (m.tables() <= tables) break;
    tables = m.tables();
    if (round > 8) return Error::Invalid(kOp, "page-table count does not converge");
  }
  l.page_tables = a.Alloc(m.tables());
  m.tables_pfn = l.page_tables.pfn;
  l.initial = m;
  l.boot_stack = a.Alloc(1);
  l.virt_pgtab_end = m.vend;
  a.SkipTo(m.vend);

  if (k.unmapped_initrd && initrd_pages > 0) l.initrd = a.Alloc(initrd_pages);  // by pfn only
  if (k.init_p2m != 0) {
    if (k.init_p2m % kPageSize != 0) return Error::Invalid(kOp, "INIT_P2M is not page-aligned");
    uint64_t p2m_end = k.init_p2m + l.p2m_data_pages * kPageSize;
    if (p2m_end > k.virt_base && k.init_p2m < m.vend) {
      return Error::Invalid(kOp, "INIT_P2M " + Hex(k.init_p2m) + " overlaps the kernel mapping");
    }
    Mapping pm = CountTables(k.init_p2m, p2m_end);  // shares the root L4
    l.p2m = a.Alloc(l.p2m_data_pages + pm.tables());
    l.p2m.vstart = k.init_p2m;
    pm.tables_pfn = l.p2m.pfn + l.p2m_data_pages;
    l.p2m_map = pm;
  }
  l.used_pages = (a.end() - k.virt_base) >> kPageShift;
  if (l.used_pages > total_pages) {
    return Error::Invalid(kOp, "the kernel, initrd and boot structures need " +
                                   std::to_string(l.used_pages * kPageSize / kMiB + 1) +
                                   " MiB but the domain has " +
                                   std::to_string(total_pages * kPageSize / kMiB) + " MiB");
  }
  return l;
}

}  // namespace krata::xen::builder
