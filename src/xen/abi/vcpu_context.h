#pragma once
// The x86_64 PV vCPU context set by XEN_DOMCTL_setvcpucontext.
// Source: xen/include/public/arch-x86/xen.h (struct vcpu_guest_context, struct trap_info,
// VGCF_*) and arch-x86/xen-x86_64.h (struct cpu_user_regs). Size 5168 (xen-lab.md §12).

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace krata::xen::abi {

inline constexpr uint64_t kVgcfI387Valid = 1u << 0;
inline constexpr uint64_t kVgcfInKernel = 1u << 2;
inline constexpr uint64_t kVgcfFailsafeDisablesEvents = 1u << 3;
inline constexpr uint64_t kVgcfSyscallDisablesEvents = 1u << 4;
inline constexpr uint64_t kVgcfOnline = 1u << 5;

// FLAT_KERNEL_CS/SS for 64-bit PV kernels (arch-x86/xen-x86_64.h).
inline constexpr uint16_t kFlatKernelCs64 = 0xe033;
inline constexpr uint16_t kFlatKernelSs64 = 0xe02b;

// struct cpu_user_regs (x86_64): the register unions flattened to their 64-bit names.
struct CpuUserRegs {
  uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi;
  uint32_t error_code;
  uint32_t entry_vector;
  uint64_t rip;
  uint16_t cs, pad0;
  uint8_t saved_upcall_mask;
  uint8_t pad1[3];
  uint64_t rflags;
  uint64_t rsp;
  uint16_t ss, pad2[3];
  uint16_t es, pad3[3];
  uint16_t ds, pad4[3];
  uint16_t fs, pad5[3];
  uint16_t gs, pad6[3];
};
static_assert(sizeof(CpuUserRegs) == 200);
static_assert(offsetof(CpuUserRegs, rsi) == 104 && offsetof(CpuUserRegs, rip) == 128);
static_assert(offsetof(CpuUserRegs, cs) == 136 && offsetof(CpuUserRegs, rflags) == 144);
static_assert(offsetof(CpuUserRegs, rsp) == 152 && offsetof(CpuUserRegs, ss) == 160);
static_assert(offsetof(CpuUserRegs, gs) == 192);

// struct trap_info
struct TrapInfo {
  uint8_t vector;
  uint8_t flags;
  uint16_t cs;
  uint32_t pad;
  uint64_t address;
};
static_assert(sizeof(TrapInfo) == 16);

// struct vcpu_guest_context (x86_64, as seen by tools: syscall_callback_eip is plain).
struct VcpuGuestContext {
  uint8_t fpu_ctxt[512];
  uint64_t flags;  // kVgcf*
  CpuUserRegs user_regs;
  TrapInfo trap_ctxt[256];
  uint64_t ldt_base, ldt_ents;
  uint64_t gdt_frames[16], gdt_ents;
  uint64_t kernel_ss, kernel_sp;
  uint64_t ctrlreg[8];  // ctrlreg[3] = root page table MFN << 12
  uint64_t debugreg[8];
  uint64_t event_callback_eip;
  uint64_t failsafe_callback_eip;
  uint64_t syscall_callback_eip;
  uint64_t vm_assist;
  uint64_t fs_base;
  uint64_t gs_base_kernel;
  uint64_t gs_base_user;
};
static_assert(sizeof(VcpuGuestContext) == 5168);
static_assert(offsetof(VcpuGuestContext, flags) == 512);
static_assert(offsetof(VcpuGuestContext, user_regs) == 520);
static_assert(offsetof(VcpuGuestContext, trap_ctxt) == 720);
static_assert(offsetof(VcpuGuestContext, kernel_ss) == 4968);
static_assert(offsetof(VcpuGuestContext, ctrlreg) == 4984);
static_assert(offsetof(VcpuGuestContext, debugreg) == 5048);
static_assert(offsetof(VcpuGuestContext, vm_assist) == 5136);
static_assert(offsetof(VcpuGuestContext, gs_base_user) == 5160);
static_assert(std::is_trivially_copyable_v<VcpuGuestContext>);
static_assert(std::is_standard_layout_v<VcpuGuestContext>);

}  // namespace krata::xen::abi
