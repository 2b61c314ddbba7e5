#include "xen/boot/pv_kernel.h"

#include <fmt/format.h>

#include "base/checked.h"
#include "xen/boot/xen_features.h"

namespace krata::xen::boot {
namespace {

constexpr std::string_view kOp = "pv kernel";

Error Refuse(std::string message) { return Error::Invalid(kOp, std::move(message)); }

bool HasPrefix(const std::optional<std::string>& s, std::string_view prefix) {
  return s && s->starts_with(prefix);
}

Status CheckIdentity(const XenNotes& n) {
  // libelf elf_xen_note_check: only the generic loader or Linux images, built for Xen 3.0.
  if (!HasPrefix(n.loader, "generic") && !HasPrefix(n.guest_os, "linux")) {
    return Refuse(
        fmt::format("kernel is built neither for the generic loader nor as Linux "
                    "(LOADER '{}', GUEST_OS '{}')",
                    n.loader.value_or(""), n.guest_os.value_or("")));
  }
  if (!HasPrefix(n.xen_version, "xen-3.0")) {
    return Refuse(fmt::format("kernel's XEN_VERSION note is '{}', want 'xen-3.0'",
                              n.xen_version.value_or("")));
  }
  if (n.bsd_symtab == "yes") {
    return Refuse(
        "kernel asks for its symbol table to be loaded (BSD_SYMTAB), which the "
        "krata PV builder does not do");
  }
  return {};
}

Status CheckFeatures(const XenNotes& n, PvKernelInfo& info) {
  FeatureSets sets;
  if (n.features) {
    auto parsed = ParseFeatures(*n.features);
    if (!parsed.has_value()) return Refuse(parsed.error().message());
    sets = *parsed;
  }
  info.features_supported = sets.supported | n.supported_features.value_or(0);
  info.features_required = sets.required;
  auto ok = CheckRequiredFeatures(sets.required);
  if (!ok.has_value()) return Refuse(ok.error().message());
  return {};
}

// libelf elf_xen_addr_calc_check, with overflow refused instead of wrapped.
Status ComputeLayout(const ElfImage& image, PvKernelInfo& info) {
  info.phys_start = image.phys_start;
  info.phys_end = image.phys_end;
  if (info.phys_end <= info.phys_start) return Refuse("kernel's PT_LOAD segments are empty");
  if (info.kernel_size() > kMaxKernelSpan) {
    return Refuse(
        fmt::format("kernel spans {:#x} bytes of physical memory, more than the "
                    "{:#x} limit",
                    info.kernel_size(), kMaxKernelSpan));
  }
  if (info.paddr_offset > info.virt_base) {
    return Refuse(fmt::format("PADDR_OFFSET {:#x} is above VIRT_BASE {:#x}", info.paddr_offset,
                              info.virt_base));
  }
  info.virt_offset = info.virt_base - info.paddr_offset;
  auto kstart = CheckedAdd(info.phys_start, info.virt_offset);
  auto kend = CheckedAdd(info.phys_end, info.virt_offset);
  if (!kstart || !kend) {
    return Refuse(
        fmt::format("kernel at physical {:#x}-{:#x} overflows the address space "
                    "with virtual offset {:#x}",
                    info.phys_start, info.phys_end, info.virt_offset));
  }
  info.virt_kstart = *kstart;
  info.virt_kend = *kend;
  if (info.entry < info.virt_kstart || info.entry >= info.virt_kend) {
    return Refuse(fmt::format("ENTRY {:#x} lies outside the kernel [{:#x}, {:#x})", info.entry,
                              info.virt_kstart, info.virt_kend));
  }
  if (info.hypercall_page &&
      (*info.hypercall_page < info.virt_kstart || *info.hypercall_page >= info.virt_kend)) {
    return Refuse(fmt::format("HYPERCALL_PAGE {:#x} lies outside the kernel [{:#x}, {:#x})",
                              *info.hypercall_page, info.virt_kstart, info.virt_kend));
  }
  if (info.init_p2m && *info.init_p2m >= info.virt_kstart && *info.init_p2m < info.virt_kend) {
    return Refuse(fmt::format("INIT_P2M {:#x} lies inside the kernel [{:#x}, {:#x})",
                              *info.init_p2m, info.virt_kstart, info.virt_kend));
  }
  return {};
}

}  // namespace

Result<PvKernelInfo> CheckPvKernel(const XenNotes& n, const ElfImage& image) {
  if (n.count == 0) {
    return Refuse(
        "kernel has no Xen ELF notes: not a Xen PV-capable kernel "
        "(needs CONFIG_XEN_PV)");
  }
  if (!n.entry) {
    return Refuse(n.phys32_entry ? "kernel has only a PVH entry point (PHYS32_ENTRY) and no "
                                   "PV ENTRY note: not PV-capable (needs CONFIG_XEN_PV)"
                                 : "kernel has no ENTRY Xen note: not PV-capable (needs "
                                   "CONFIG_XEN_PV)");
  }
  if (!n.virt_base) return Refuse("kernel has no VIRT_BASE Xen note");
  TRY(CheckIdentity(n));

  PvKernelInfo info;
  info.entry = *n.entry;
  info.virt_base = *n.virt_base;
  info.paddr_offset = n.paddr_offset.value_or(0);
  info.hypercall_page = n.hypercall_page;
  info.init_p2m = n.init_p2m;
  info.hv_start_low = n.hv_start_low;
  info.phys32_entry = n.phys32_entry;
  info.mod_start_pfn = n.mod_start_pfn.value_or(0);
  info.suspend_cancel = n.suspend_cancel.value_or(0);
  info.xen_version = n.xen_version.value_or("");
  info.guest_os = n.guest_os.value_or("");
  info.guest_version = n.guest_version.value_or("");
  info.loader = n.loader.value_or("");
  info.pae_mode = n.pae_mode.value_or("");
  info.features = n.features.value_or("");
  TRY(CheckFeatures(n, info));
  TRY(ComputeLayout(image, info));
  return info;
}

Result<PvKernelInfo> ReadPvKernelInfo(ByteSpan file, const ElfImage& image) {
  XenNotes notes = TRY(ParseXenNotes(file, image));
  return CheckPvKernel(notes, image);
}

}  // namespace krata::xen::boot
