#include "xen/boot/xen_features.h"

#include <fmt/format.h>

#include <array>

namespace krata::xen::boot {
namespace {

constexpr std::string_view kOp = "xen features";

// Indexed by bit number (xen/include/public/features.h).
constexpr std::array<std::string_view, 18> kNames = {
    "writable_page_tables",
    "writable_descriptor_tables",
    "auto_translated_physmap",
    "supervisor_mode_kernel",
    "pae_pgdir_above_4gb",
    "mmu_pt_update_preserve_ad",
    "highmem_assist",
    "gnttab_map_avail_bits",
    "hvm_callback_vector",
    "hvm_safe_pvclock",
    "hvm_pirqs",
    "dom0",
    "grant_map_identity",
    "memory_op_vnode_supported",
    "ARM_SMCCC_supported",
    "linux_rsdp_unrestricted",
    "not_direct_mapped",
    "direct_mapped",
};

}  // namespace

std::optional<XenFeature> XenFeatureFromName(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<XenFeature>(i);
  }
  return std::nullopt;
}

std::string_view XenFeatureName(uint32_t bit) {
  return bit < kNames.size() ? kNames[bit] : std::string_view();
}

Result<FeatureSets> ParseFeatures(std::string_view features) {
  FeatureSets out;
  while (!features.empty()) {
    size_t bar = features.find('|');
    std::string_view item = features.substr(0, bar);
    features = bar == std::string_view::npos ? std::string_view() : features.substr(bar + 1);
    bool required = !item.empty() && item.front() == '!';
    if (required) item.remove_prefix(1);
    std::optional<XenFeature> f = XenFeatureFromName(item);
    if (!f) {
      if (!required) continue;  // an optional feature we do not know: harmless
      return Error::Invalid(kOp, fmt::format("kernel requires unknown Xen feature '{}'", item));
    }
    out.supported |= FeatureBit(*f);
    if (required) out.required |= FeatureBit(*f);
  }
  return out;
}

Status CheckRequiredFeatures(uint32_t required, uint32_t provided) {
  uint32_t missing = required & ~provided;
  if (missing == 0) return {};
  uint32_t bit = static_cast<uint32_t>(__builtin_ctz(missing));
  std::string_view name = XenFeatureName(bit);
  return Error::Invalid(kOp, fmt::format("kernel requires Xen feature '{}' (XENFEAT {}), which "
                                         "the krata PV builder does not provide",
                                         name.empty() ? "?" : name, bit));
}

}  // namespace krata::xen::boot
