#pragma once
// HYPERVISOR_mmuext_op(ops, count, pdone, foreigndom): extended MMU operations.
// Source: xen/include/public/xen.h (struct mmuext_op, MMUEXT_*).

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace krata::xen::abi {

inline constexpr uint32_t kMmuextPinL4Table = 3;  // arg1.mfn: root of a 4-level PV table
inline constexpr uint32_t kMmuextUnpinTable = 4;

// struct mmuext_op (x86_64): arg1 and arg2 are unions of 64-bit members.
struct MmuextOp {
  uint32_t cmd;
  uint32_t pad;
  uint64_t arg1;  // mfn or linear_addr
  uint64_t arg2;  // nr_ents, vcpumask handle or src_mfn
};
static_assert(sizeof(MmuextOp) == 24);
static_assert(offsetof(MmuextOp, arg1) == 8 && offsetof(MmuextOp, arg2) == 16);
static_assert(std::is_trivially_copyable_v<MmuextOp>);

}  // namespace krata::xen::abi
