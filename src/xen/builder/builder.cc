#include "xen/builder/builder.h"

#include <sys/mman.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <vector>

#include "xen/abi/grant_table.h"
#include "xen/abi/start_info.h"
#include "xen/builder/boot_info.h"
#include "xen/builder/guest_pages.h"
#include "xen/builder/page_tables.h"

namespace krata::xen::builder {
namespace {

constexpr uint32_t kSuperpageOrder = 9;  // 2 MiB extents
constexpr uint64_t kSuperpagePages = 1u << kSuperpageOrder;
constexpr size_t kExtentsPerCall = 512;  // one 4 KiB hypercall buffer of pfns
// Xen's own slack above the guest's max (upstream krata: XEN_EXTRA_MEMORY_KB).
constexpr uint64_t kExtraMemoryKib = 2048;

uint64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Guest pages [0, n) mapped as one contiguous range of ours.
class MappedGuestPages final : public GuestPages {
 public:
  explicit MappedGuestPages(ForeignMapping map) : map_(std::move(map)) {}
  Result<std::span<std::byte>> Page(Pfn pfn) override {
    if (pfn >= map_.pages()) return Error::Invalid("guest page", "pfn beyond the boot area");
    return map_.page(pfn);
  }
  std::span<std::byte> Range(Pfn pfn, uint64_t pages) {
    return map_.bytes().subspan(pfn * kPageSize, pages * kPageSize);
  }

 private:
  ForeignMapping map_;
};

// XENMEM_populate_physmap over all of memory: 2 MiB extents while Xen has them, then 4 KiB
// pages for whatever is left. Fills p2m (pfn -> mfn); for PV, Xen returns the MFNs.
Status Populate(DomainControl& dc, DomId domid, std::vector<Mfn>& p2m) {
  const uint64_t total = p2m.size();
  uint64_t done = 0;
  std::vector<uint64_t> extents;
  while (total - done >= kSuperpagePages) {
    extents.clear();
    for (uint64_t pfn = done; total - pfn >= kSuperpagePages && extents.size() < kExtentsPerCall;
         pfn += kSuperpagePages) {
      extents.push_back(pfn);
    }
    size_t n = TRY(dc.PopulatePhysmap(domid, kSuperpageOrder, extents));
    for (size_t i = 0; i < n; ++i) {
      for (uint64_t k = 0; k < kSuperpagePages; ++k) p2m[done + i * kSuperpagePages + k] = extents[i] + k;
    }
    done += n * kSuperpagePages;
    if (n < extents.size()) break;  // no more 2 MiB chunks: fall back to single pages
  }
  while (done < total) {
    extents.clear();
    for (uint64_t pfn = done; pfn < total && extents.size() < kExtentsPerCall; ++pfn) {
      extents.push_back(pfn);
    }
    size_t n = TRY(dc.PopulatePhysmap(domid, 0, extents));
    for (size_t i = 0; i < n; ++i) p2m[done + i] = extents[i];
    done += n;
    if (n < extents.size()) {
      return Error::Invalid("populate_physmap",
                            "Xen populated " + std::to_string(done) + " of " +
                                std::to_string(total) + " pages (out of memory?)");
    }
  }
  return {};
}

void ZeroPage(std::span<std::byte> page) { std::memset(page.data(), 0, page.size()); }

// Grant entries 0 and 1 let the console backend and xenstored map those rings by grant
// (GNTTAB_RESERVED_CONSOLE / _XENSTORE in grant_table.h), as libxenguest seeds them.
Status SeedGrantTable(DomainControl& dc, DomId domid, DomId backend, Mfn console, Mfn store) {
  ForeignMapping gt = TRY(dc.MapGrantTable(domid, 0, 1));
  auto* entries = reinterpret_cast<abi::GrantEntryV1*>(gt.data());
  auto seed = [&](uint32_t ref, Mfn mfn) {
    entries[ref].domid = backend;
    entries[ref].frame = static_cast<uint32_t>(mfn);
    std::atomic_thread_fence(std::memory_order_release);  // flags last: the entry goes live
    entries[ref].flags = abi::kGtfPermitAccess;
  };
  seed(abi::kGnttabReservedConsole, console);
  seed(abi::kGnttabReservedXenstore, store);
  return {};
}

Status ValidateConfig(const BuildConfig& c) {
  if (c.memory_mib == 0 || c.max_memory_mib < c.memory_mib) {
    return Error::Invalid("build", "memory must be > 0 and max memory >= memory");
  }
  if (c.max_memory_mib > (1ull << 30)) return Error::Invalid("build", "absurd max memory");
  if (c.vcpus == 0 || c.vcpus > 128) return Error::Invalid("build", "vcpus must be 1..128");
  return {};
}

}  // namespace

DomainReservation::~DomainReservation() {
  if (dc_ != nullptr) (void)dc_->Destroy(domid_);
}

Result<BuiltDomain> BuildPvDomain(DomainControl& dc, const boot::LoadedKernel& kernel,
                                  ByteSpan initrd, const BuildConfig& config,
                                  BuildTimings* timings) {
  TRY(ValidateConfig(config));
  const boot::PvKernelInfo& info = kernel.info;
  KernelImage image{.virt_base = info.virt_base,
                    .virt_kstart = info.virt_kstart,
                    .virt_kend = info.virt_kend,
                    .init_p2m = info.init_p2m.value_or(0),
                    .unmapped_initrd = info.unmapped_initrd()};
  const uint64_t total_pages = config.memory_mib << (20 - kPageShift);
  PvLayout layout = TRY(ComputeLayout(image, total_pages, initrd.size()));

  uint64_t t0 = NowUs();
  CreateDomainConfig create;
  create.handle = config.uuid;
  create.max_vcpus = config.vcpus;
  DomId domid = TRY(dc.CreateDomain(create));
  DomainReservation reservation(dc, domid);
  // Errors from here on name the domain being built.
  auto step = [domid]<typename T>(Result<T> r) -> Result<T> {
    if (!r.has_value()) return std::move(r.error()).With("building domain " + std::to_string(domid));
    return r;
  };

  TRY(step(dc.SetMaxVcpus(domid, config.vcpus)));
  TRY(step(dc.SetMaxMem(domid, config.max_memory_mib * 1024 + kExtraMemoryKib)));
  TRY(step(dc.SetAddressSize(domid, 64)));
  uint64_t t1 = NowUs();

  // Claim first so a populate that cannot finish fails fast instead of half-way.
  TRY(step(dc.ClaimPages(domid, total_pages)));
  std::vector<Mfn> p2m(total_pages);
  TRY(step(Populate(dc, domid, p2m)));
  TRY(step(dc.ClaimPages(domid, 0)));
  uint64_t t2 = NowUs();

  BuiltDomain out;
  out.domid = domid;
  {
    // Everything the builder writes lies in pfns [0, used_pages): map it once.
    ForeignMapping map = TRY(dc.MapForeign(
        domid, std::span<const uint64_t>(p2m.data(), layout.used_pages), PROT_READ | PROT_WRITE));
    MappedGuestPages mem(std::move(map));
    TRY(step(boot::CopySegments(kernel, mem.Range(layout.kernel.pfn, layout.kernel.pages))));
    if (!initrd.empty()) {
      std::span<std::byte> dst = mem.Range(layout.initrd.pfn, layout.initrd.pages);
      std::memcpy(dst.data(), initrd.data(), initrd.size());
      std::memset(dst.data() + initrd.size(), 0, dst.size() - initrd.size());
    }
    for (const Segment* s : {&layout.start_info, &layout.xenstore, &layout.console,
                             &layout.boot_stack}) {
      ZeroPage(mem.Range(s->pfn, 1));
    }
    uint64_t t3 = NowUs();
    if (timings != nullptr) timings->load_us = t3 - t2;

    out.console_evtchn = TRY(step(dc.AllocUnboundPort(domid, config.backend_domid)));
    out.store_evtchn = TRY(step(dc.AllocUnboundPort(domid, config.backend_domid)));
    TRY(step(WritePageTables(layout, p2m, mem)));
    TRY(step(WriteP2m(layout, p2m, mem)));
    DomainInfo dinfo = TRY(step(dc.GetDomainInfo(domid)));
    abi::StartInfo si = TRY(step(MakeStartInfo(
        layout, p2m,
        {.shared_info_mfn = dinfo.shared_info_frame, .store_evtchn = out.store_evtchn,
         .console_evtchn = out.console_evtchn, .initrd_bytes = initrd.size(),
         .cmdline = config.cmdline})));
    std::memcpy(mem.Range(layout.start_info.pfn, 1).data(), &si, sizeof si);
    if (info.hypercall_page) {
      Pfn pfn = layout.InitialPfn(*info.hypercall_page);
      TRY(step(dc.HypercallInit(domid, p2m[pfn])));
    }
    // The mapping ends here: Xen refuses to pin page tables that dom0 still maps writable.
  }
  const Mfn root_mfn = p2m[layout.RootTablePfn()];
  TRY(step(dc.PinL4Table(domid, root_mfn)));
  {
    DomainInfo dinfo = TRY(step(dc.GetDomainInfo(domid)));
    uint64_t frame = dinfo.shared_info_frame;
    ForeignMapping shared = TRY(step(dc.MapForeign(domid, std::span<const uint64_t>(&frame, 1),
                                                   PROT_READ | PROT_WRITE)));
    // As libxenguest: a clean shared_info with event upcalls masked on every vCPU.
    std::memset(shared.data(), 0, kPageSize);
    for (size_t i = 0; i < abi::kLegacyMaxVcpus; ++i) {
      shared.data()[i * abi::kVcpuInfoSize + abi::kVcpuInfoUpcallMaskOffset] = std::byte{1};
    }
  }
  TRY(step(dc.SetVcpuContext(domid, 0, MakeBootVcpuContext(layout, info.entry, root_mfn))));
  out.store_mfn = p2m[layout.xenstore.pfn];
  out.console_mfn = p2m[layout.console.pfn];
  TRY(step(SeedGrantTable(dc, domid, config.backend_domid, out.console_mfn, out.store_mfn)));
  if (timings != nullptr) {
    timings->create_us = t1 - t0;
    timings->populate_us = t2 - t1;
    timings->setup_us = NowUs() - t2 - timings->load_us;
  }
  out.layout = std::move(layout);
  reservation.Release();
  return out;
}

}  // namespace krata::xen::builder
