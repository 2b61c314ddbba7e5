#pragma once
// FakePrivcmd: the Privcmd face of a FakeXen (fake_xen.h). It decodes each hypercall's
// arguments the way Xen would, lets FakeXen answer, and records every call so tests check
// both results and the exact sequence and interface versions used.

#include <memory>
#include <vector>

#include "xen/call/fake_xen.h"
#include "xen/call/privcmd.h"

namespace krata::xen {

class FakePrivcmd final : public Privcmd {
 public:
  explicit FakePrivcmd(FakeHost host = {}) : xen_(std::make_unique<FakeXen>(std::move(host))) {}
  Result<HypercallBuffer> AllocBuffer(size_t bytes) override;
  Result<long> Hypercall(uint64_t op, const std::array<uint64_t, 5>& args) override;
  Result<ForeignMapping> ReserveMapping(size_t pages, int prot) override;
  Result<void> MmapBatch(DomId dom, std::byte* addr, std::span<const uint64_t> frames,
                         std::span<int> errs) override;
  Result<void> MmapResource(DomId dom, uint32_t type, uint32_t id, uint32_t frame, uint32_t nr,
                            std::byte* addr) override;

  struct Call {
    uint64_t op;
    uint64_t sub;      // first argument, or the interface_version for sysctl/domctl
    uint64_t cmd = 0;  // domctl/sysctl cmd, memory_op/event_channel_op cmd, mmuext cmd
  };
  const std::vector<Call>& calls() const { return calls_; }
  size_t mmap_batch_calls() const { return mmap_batch_calls_; }
  FakeHost& host() { return xen_->host(); }
  FakeXen& xen() { return *xen_; }

 private:
  std::unique_ptr<FakeXen> xen_;
  std::vector<Call> calls_;
  size_t mmap_batch_calls_ = 0;
};

}  // namespace krata::xen
