#pragma once
// The FEATURES note string (xen/include/public/elfnote.h, XEN_ELFNOTE_FEATURES): feature
// names from xen/include/public/features.h without the XENFEAT_ prefix, '|'-separated; a
// leading '!' marks a feature the kernel REQUIRES. Same meaning as Xen's
// elf_xen_parse_features (xen/common/libelf/libelf-dominfo.c): every listed feature is
// supported, '!' ones are also required, an unknown required name is an error, an unknown
// optional name is ignored. Linux's "!writable_page_tables|pae_pgdir_above_4gb" thus
// requires writable_page_tables, which every PV domain has.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace krata::xen::boot {

// Bit numbers from xen/include/public/features.h (submap 0 is all that exists).
enum XenFeature : uint32_t {
  kXenFeatWritablePageTables = 0,
  kXenFeatWritableDescriptorTables = 1,
  kXenFeatAutoTranslatedPhysmap = 2,
  kXenFeatSupervisorModeKernel = 3,
  kXenFeatPaePgdirAbove4gb = 4,
  kXenFeatMmuPtUpdatePreserveAd = 5,
  kXenFeatHighmemAssist = 6,
  kXenFeatGnttabMapAvailBits = 7,
  kXenFeatHvmCallbackVector = 8,
  kXenFeatHvmSafePvclock = 9,
  kXenFeatHvmPirqs = 10,
  kXenFeatDom0 = 11,
  kXenFeatGrantMapIdentity = 12,
  kXenFeatMemoryOpVnodeSupported = 13,
  kXenFeatArmSmcccSupported = 14,
  kXenFeatLinuxRsdpUnrestricted = 15,
  kXenFeatNotDirectMapped = 16,
  kXenFeatDirectMapped = 17,
};

constexpr uint32_t FeatureBit(XenFeature f) { return uint32_t{1} << f; }

// What our PV domain builder (a 64-bit PV domU on Xen 4.17) gives a kernel. Xen always
// emulates writes to PV page tables and 64-bit page directories may live anywhere; it
// offers PV guests no writable descriptor tables, no auto-translated physmap (that is
// PVH/HVM), no supervisor-mode kernel (removed), and a domU is not dom0.
inline constexpr uint32_t kBuilderFeatures =
    FeatureBit(kXenFeatWritablePageTables) | FeatureBit(kXenFeatPaePgdirAbove4gb);

struct FeatureSets {
  uint32_t supported = 0;  // bit n = XENFEAT n; includes the required ones
  uint32_t required = 0;
};

// "writable_page_tables" -> 0; nullopt for names Xen does not define.
std::optional<XenFeature> XenFeatureFromName(std::string_view name);
std::string_view XenFeatureName(uint32_t bit);  // "" if unknown

// Parses a FEATURES string. Error: a required ('!') feature whose name is unknown.
Result<FeatureSets> ParseFeatures(std::string_view features);

// Error naming the first required feature not in `provided`.
Status CheckRequiredFeatures(uint32_t required, uint32_t provided = kBuilderFeatures);

}  // namespace krata::xen::boot
