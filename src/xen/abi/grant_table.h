#pragma once
// Grant table v1 entries, as the builder seeds them for the console and xenstore rings.
// Source: xen/include/public/grant_table.h (struct grant_entry_v1, GTF_*,
// GNTTAB_RESERVED_*).

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace krata::xen::abi {

inline constexpr uint32_t kGnttabReservedConsole = 0;
inline constexpr uint32_t kGnttabReservedXenstore = 1;
inline constexpr uint16_t kGtfPermitAccess = 1u << 0;
inline constexpr uint16_t kGtfReadonly = 1u << 2;

// struct grant_entry_v1: 512 per 4 KiB grant table frame.
struct GrantEntryV1 {
  uint16_t flags;  // GTF_*
  uint16_t domid;  // the domain granted access
  uint32_t frame;  // the granted gfn
};
static_assert(sizeof(GrantEntryV1) == 8 && offsetof(GrantEntryV1, frame) == 4);
static_assert(std::is_trivially_copyable_v<GrantEntryV1>);

}  // namespace krata::xen::abi
