// LinuxPrivcmd: hypercalls through IOCTL_PRIVCMD_HYPERCALL, foreign mappings through an
// mmap of the device plus IOCTL_PRIVCMD_MMAPBATCH_V2 / IOCTL_PRIVCMD_MMAP_RESOURCE
// (Linux drivers/xen/privcmd.c).

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "base/checked.h"
#include "base/eintr.h"
#include "base/file.h"
#include "base/unique_handle.h"
#include "xen/abi/hypercall.h"
#include "xen/call/privcmd.h"

namespace krata::xen {
namespace {

class LinuxPrivcmd final : public Privcmd {
 public:
  LinuxPrivcmd(UniqueFd privcmd, UniqueFd hypercall)
      : privcmd_(std::move(privcmd)), hypercall_(std::move(hypercall)) {}

  Result<HypercallBuffer> AllocBuffer(size_t bytes) override {
    size_t len = (bytes + abi::kPageSize - 1) & ~(abi::kPageSize - 1);
    if (len == 0) len = abi::kPageSize;
    if (hypercall_) {
      // The driver hands out locked pages that stay with this process across fork.
      ScopedMmap m =
          TRY(ScopedMmap::Map(len, PROT_READ | PROT_WRITE, MAP_SHARED, hypercall_.get(), 0));
      std::memset(m.get(), 0, len);
      return HypercallBuffer(std::move(m));
    }
    // Older kernels without /dev/xen/hypercall: lock anonymous memory ourselves.
    ScopedMmap m = TRY(ScopedMmap::Map(len, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0));
    if (::madvise(m.get(), len, MADV_DONTFORK) != 0) {
      return Error::FromErrno("madvise(MADV_DONTFORK)", errno);
    }
    return HypercallBuffer(std::move(m));
  }

  Result<long> Hypercall(uint64_t op, const std::array<uint64_t, 5>& args) override {
    abi::PrivcmdHypercall call{};
    call.op = op;
    for (size_t i = 0; i < args.size(); ++i) call.arg[i] = args[i];
    long rc = RetryEintr([&] {
      return static_cast<long>(::ioctl(privcmd_.get(), abi::kIoctlPrivcmdHypercall, &call));
    });
    if (rc < 0) return Error::FromErrno("hypercall", errno, "op " + std::to_string(op));
    return rc;
  }

  Result<ForeignMapping> ReserveMapping(size_t pages, int prot) override {
    std::optional<size_t> len = CheckedMul(pages, abi::kPageSize);
    if (pages == 0 || !len) return Error::Invalid("mmap(privcmd)", "bad mapping size");
    // MAP_SHARED of the device gives a VMA the driver fills with foreign frames.
    ScopedMmap m = TRY(ScopedMmap::Map(*len, prot, MAP_SHARED, privcmd_.get(), 0));
    return ForeignMapping(std::move(m));
  }

  Result<void> MmapBatch(DomId dom, std::byte* addr, std::span<const uint64_t> frames,
                         std::span<int> errs) override {
    if (errs.size() != frames.size() || frames.size() > UINT32_MAX) {
      return Error::Invalid("IOCTL_PRIVCMD_MMAPBATCH_V2", "bad array sizes");
    }
    abi::PrivcmdMmapbatchV2 batch{};
    batch.num = static_cast<uint32_t>(frames.size());
    batch.dom = dom;
    batch.addr = reinterpret_cast<uint64_t>(addr);
    batch.arr = reinterpret_cast<uint64_t>(frames.data());
    batch.err = reinterpret_cast<uint64_t>(errs.data());
    // Not retried on EINTR: a reissue over a partly filled VMA is refused by the driver.
    int rc = ::ioctl(privcmd_.get(), abi::kIoctlPrivcmdMmapbatchV2, &batch);
    if (rc < 0) return Error::FromErrno("IOCTL_PRIVCMD_MMAPBATCH_V2", errno);
    return {};
  }

  Result<void> MmapResource(DomId dom, uint32_t type, uint32_t id, uint32_t frame, uint32_t nr,
                            std::byte* addr) override {
    abi::PrivcmdMmapResource res{};
    res.dom = dom;
    res.type = type;
    res.id = id;
    res.idx = frame;
    res.num = nr;
    res.addr = reinterpret_cast<uint64_t>(addr);
    int rc = ::ioctl(privcmd_.get(), abi::kIoctlPrivcmdMmapResource, &res);
    if (rc < 0) return Error::FromErrno("IOCTL_PRIVCMD_MMAP_RESOURCE", errno);
    return {};
  }

 private:
  UniqueFd privcmd_;
  UniqueFd hypercall_;
};

}  // namespace

Result<std::unique_ptr<Privcmd>> OpenLinuxPrivcmd() {
  Result<UniqueFd> privcmd = OpenFile("/dev/xen/privcmd", O_RDWR);
  if (!privcmd.has_value()) {
    return std::move(privcmd.error())
        .With("cannot reach the hypervisor (is this a Xen dom0 with xen-privcmd loaded?)");
  }
  Result<UniqueFd> hypercall = OpenFile("/dev/xen/hypercall", O_RDWR);
  UniqueFd hc = hypercall.has_value() ? std::move(*hypercall) : UniqueFd();
  return std::unique_ptr<Privcmd>(new LinuxPrivcmd(std::move(*privcmd), std::move(hc)));
}

}  // namespace krata::xen
