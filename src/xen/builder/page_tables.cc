#include "xen/builder/page_tables.h"

#include <cstring>

namespace krata::xen::builder {
namespace {

class TableWriter {
 public:
  TableWriter(const PvLayout& l, std::span<const Mfn> p2m, GuestPages& mem)
      : l_(l), p2m_(p2m), mem_(mem) {}

  Status Zero(const Mapping& m) {
    for (uint32_t i = 0; i < m.tables(); ++i) {
      std::span<std::byte> page = TRY(mem_.Page(m.tables_pfn + i));
      std::memset(page.data(), 0, page.size());
    }
    return {};
  }

  // Maps [m.vstart, m.vend) to pfns first_pfn.. (consecutive), through tables that follow
  // m.tables_pfn (after the root if m owns it).
  Status Map(const Mapping& m, Pfn first_pfn) {
    const Pfn l3_base = m.tables_pfn + m.l4;
    const Pfn l2_base = l3_base + m.l3;
    const Pfn l1_base = l2_base + m.l2;
    const Pfn root = l_.RootTablePfn();
    for (uint64_t va = m.vstart; va < m.vend; va += kPageSize) {
      Pfn l3 = l3_base + ((va >> 39) - (m.vstart >> 39));
      Pfn l2 = l2_base + ((va >> 30) - (m.vstart >> 30));
      Pfn l1 = l1_base + ((va >> 21) - (m.vstart >> 21));
      Pfn target = first_pfn + ((va - m.vstart) >> kPageShift);
      TRY(Set(root, (va >> 39) & 511, TRY(MfnOf(l3)), kUpperProt));
      TRY(Set(l3, (va >> 30) & 511, TRY(MfnOf(l2)), kUpperProt));
      TRY(Set(l2, (va >> 21) & 511, TRY(MfnOf(l1)), kUpperProt));
      uint64_t prot = l_.IsPageTableFrame(target) ? (kL1Prot & ~kPteRw) : kL1Prot;
      TRY(Set(l1, (va >> 12) & 511, TRY(MfnOf(target)), prot));
    }
    return {};
  }

 private:
  Result<Mfn> MfnOf(Pfn pfn) {
    if (pfn >= p2m_.size()) return Error::Invalid("page tables", "pfn beyond the p2m");
    return p2m_[pfn];
  }
  Status Set(Pfn table, uint64_t index, Mfn mfn, uint64_t prot) {
    std::span<std::byte> page = TRY(mem_.Page(table));
    uint64_t entry = ((mfn << kPageShift) & kPteAddrMask) | prot;
    std::memcpy(page.data() + index * 8, &entry, 8);
    return {};
  }

  const PvLayout& l_;
  std::span<const Mfn> p2m_;
  GuestPages& mem_;
};

}  // namespace

Status WritePageTables(const PvLayout& layout, std::span<const Mfn> p2m, GuestPages& mem) {
  if (p2m.size() != layout.total_pages) {
    return Error::Invalid("page tables", "p2m size does not match the layout");
  }
  TableWriter w(layout, p2m, mem);
  TRY(w.Zero(layout.initial));
  if (layout.p2m_map) TRY(w.Zero(*layout.p2m_map));
  TRY(w.Map(layout.initial, layout.InitialPfn(layout.initial.vstart)));
  if (layout.p2m_map) TRY(w.Map(*layout.p2m_map, layout.p2m.pfn));
  return {};
}

Status WriteP2m(const PvLayout& layout, std::span<const Mfn> p2m, GuestPages& mem) {
  if (p2m.size() != layout.total_pages) return Error::Invalid("p2m", "size mismatch");
  const size_t per_page = kPageSize / sizeof(Mfn);
  for (uint64_t i = 0; i < layout.p2m_data_pages; ++i) {
    std::span<std::byte> page = TRY(mem.Page(layout.p2m.pfn + i));
    std::memset(page.data(), 0xff, page.size());  // INVALID_P2M_ENTRY past the end
    size_t first = i * per_page;
    size_t n = std::min(per_page, p2m.size() - first);
    std::memcpy(page.data(), p2m.data() + first, n * sizeof(Mfn));
  }
  return {};
}

}  // namespace krata::xen::builder
