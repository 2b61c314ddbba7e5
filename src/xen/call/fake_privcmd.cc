#include "xen/call/fake_privcmd.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "xen/abi/hypercall.h"
#include "xen/abi/sysctl.h"

namespace krata::xen {

Result<HypercallBuffer> FakePrivcmd::AllocBuffer(size_t bytes) {
  size_t len = (bytes + abi::kPageSize - 1) & ~(abi::kPageSize - 1);
  ScopedMmap m = TRY(ScopedMmap::Map(len == 0 ? abi::kPageSize : len, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  return HypercallBuffer(std::move(m));
}

Result<long> FakePrivcmd::Hypercall(uint64_t op, const std::array<uint64_t, 5>& args) {
  auto* ptr = reinterpret_cast<void*>(args[1]);
  switch (op) {
    case abi::kHypercallXenVersion:
      calls_.push_back({op, args[0]});
      if (args[0] == abi::kXenVerVersion) return static_cast<long>(host_.major << 16 | host_.minor);
      if (args[0] == abi::kXenVerExtraversion) {
        std::strncpy(static_cast<char*>(ptr), host_.extra.c_str(), abi::kXenExtraversionLen);
        return 0;
      }
      if (args[0] == abi::kXenVerCapabilities) {
        std::strncpy(static_cast<char*>(ptr), host_.capabilities.c_str(),
                     abi::kXenCapabilitiesLen);
        return 0;
      }
      return Error::FromErrno("hypercall", ENOSYS);
    case abi::kHypercallSysctl: {
      auto* s = reinterpret_cast<abi::Sysctl*>(args[0]);
      calls_.push_back({op, s->interface_version});
      if (s->interface_version != host_.sysctl_version) return Error::FromErrno("hypercall", EACCES);
      if (s->cmd != abi::kSysctlPhysinfo) return Error::FromErrno("hypercall", ENOSYS);
      s->u.physinfo.nr_cpus = host_.nr_cpus;
      s->u.physinfo.threads_per_core = 1;
      s->u.physinfo.cores_per_socket = host_.nr_cpus;
      s->u.physinfo.nr_nodes = 1;
      s->u.physinfo.total_pages = host_.total_pages;
      s->u.physinfo.free_pages = host_.free_pages;
      return 0;
    }
    default:
      calls_.push_back({op, args[0]});
      return Error::FromErrno("hypercall", ENOSYS);
  }
}

}  // namespace krata::xen
