#include "xen/call/fake_privcmd.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "xen/abi/hypercall.h"

namespace krata::xen {

Result<HypercallBuffer> FakePrivcmd::AllocBuffer(size_t bytes) {
  size_t len = (bytes + abi::kPageSize - 1) & ~(abi::kPageSize - 1);
  ScopedMmap m = TRY(ScopedMmap::Map(len == 0 ? abi::kPageSize : len, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  return HypercallBuffer(std::move(m));
}

Result<long> FakePrivcmd::Hypercall(uint64_t op, const std::array<uint64_t, 5>& args) {
  auto* ptr = reinterpret_cast<void*>(args[1]);
  const FakeHost& host = xen_->host();
  // Decode (op, cmd) first so injected errors and the call log see the sub-command.
  Call call{op, args[0], 0};
  if (op == abi::kHypercallSysctl) {
    auto* s = reinterpret_cast<abi::Sysctl*>(args[0]);
    call.sub = s->interface_version;
    call.cmd = s->cmd;
  } else if (op == abi::kHypercallDomctl) {
    auto* d = reinterpret_cast<abi::Domctl*>(args[0]);
    call.sub = d->interface_version;
    call.cmd = d->cmd;
  } else if (op == abi::kHypercallMemoryOp || op == abi::kHypercallEventChannelOp) {
    call.cmd = args[0];
  } else if (op == abi::kHypercallMmuextOp && args[1] > 0) {
    call.cmd = reinterpret_cast<const abi::MmuextOp*>(args[0])->cmd;
  }
  calls_.push_back(call);
  if (int err = xen_->TakeInjectedError(op, call.cmd); err != 0) {
    return Error::FromErrno("hypercall", err);
  }
  switch (op) {
    case abi::kHypercallXenVersion:
      if (args[0] == abi::kXenVerVersion) return static_cast<long>(host.major << 16 | host.minor);
      if (args[0] == abi::kXenVerExtraversion) {
        std::strncpy(static_cast<char*>(ptr), host.extra.c_str(), abi::kXenExtraversionLen);
        return 0;
      }
      if (args[0] == abi::kXenVerCapabilities) {
        std::strncpy(static_cast<char*>(ptr), host.capabilities.c_str(), abi::kXenCapabilitiesLen);
        return 0;
      }
      return Error::FromErrno("hypercall", ENOSYS);
    case abi::kHypercallSysctl:
      return xen_->Sysctl(*reinterpret_cast<abi::Sysctl*>(args[0]));
    case abi::kHypercallDomctl:
      return xen_->Domctl(*reinterpret_cast<abi::Domctl*>(args[0]));
    case abi::kHypercallMemoryOp:
      return xen_->MemoryOp(args[0], ptr);
    case abi::kHypercallEventChannelOp:
      return xen_->EventChannelOp(args[0], ptr);
    case abi::kHypercallMmuextOp:
      return xen_->MmuextOp(reinterpret_cast<const abi::MmuextOp*>(args[0]),
                            static_cast<uint32_t>(args[1]), reinterpret_cast<uint32_t*>(args[2]),
                            static_cast<DomId>(args[3]));
    default:
      return Error::FromErrno("hypercall", ENOSYS);
  }
}

Result<ForeignMapping> FakePrivcmd::ReserveMapping(size_t pages, int prot) {
  return xen_->ReserveMapping(pages, prot);
}

Result<void> FakePrivcmd::MmapBatch(DomId dom, std::byte* addr, std::span<const uint64_t> frames,
                                    std::span<int> errs) {
  ++mmap_batch_calls_;
  return xen_->MmapBatch(dom, addr, frames, errs);
}

Result<void> FakePrivcmd::MmapResource(DomId dom, uint32_t type, uint32_t id, uint32_t frame,
                                       uint32_t nr, std::byte* addr) {
  return xen_->MmapResource(dom, type, id, frame, nr, addr);
}

}  // namespace krata::xen
