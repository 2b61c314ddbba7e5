#pragma once
// FakePrivcmd: a stateful stand-in for the hypervisor in unit tests. It answers the
// hypercalls XenCall issues from a small model of a host (version, physinfo) and records
// every call, so tests check both results and the exact interface versions probed.

#include <string>
#include <vector>

#include "xen/call/privcmd.h"

namespace krata::xen {

struct FakeHost {
  uint32_t major = 4, minor = 17;
  std::string extra = ".7-fake";
  std::string capabilities = "xen-3.0-x86_64 hvm-3.0-x86_64";
  uint32_t sysctl_version = 0x15;  // the only interface version this fake accepts
  uint32_t nr_cpus = 2;
  uint64_t total_pages = 262144, free_pages = 100000;
};

class FakePrivcmd final : public Privcmd {
 public:
  explicit FakePrivcmd(FakeHost host = {}) : host_(std::move(host)) {}
  Result<HypercallBuffer> AllocBuffer(size_t bytes) override;
  Result<long> Hypercall(uint64_t op, const std::array<uint64_t, 5>& args) override;

  struct Call {
    uint64_t op;
    uint64_t sub;  // first argument, or the sysctl interface_version for sysctls
  };
  const std::vector<Call>& calls() const { return calls_; }
  FakeHost& host() { return host_; }

 private:
  FakeHost host_;
  std::vector<Call> calls_;
};

}  // namespace krata::xen
