// LinuxGrantAllocator: GrantAllocator over /dev/xen/gntalloc (Linux drivers/xen/gntalloc.c).
// IOCTL_GNTALLOC_ALLOC_GREF allocates zeroed pages, grants them and returns their refs plus an
// offset ("index"); mmap(2) of the device at that offset gives us the pages.
// IOCTL_GNTALLOC_DEALLOC_GREF ends the grants; the kernel frees each page once neither we nor
// the other domain map it any more.

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "base/eintr.h"
#include "base/file.h"
#include "base/unique_handle.h"
#include "xen/abi/gntdev.h"
#include "xen/gnttab/gnttab.h"

namespace krata::xen::gnttab {
namespace {

class LinuxGrantAllocator final : public GrantAllocator, private MappingOwner {
 public:
  explicit LinuxGrantAllocator(UniqueFd fd) : fd_(std::move(fd)) {}

  Result<SharedPages> Allocate(DomId domid, size_t count, Access remote_access) override {
    if (count == 0 || count > kMaxPagesPerCall) {
      return Error::Invalid("gntalloc alloc", std::to_string(count) + " pages (1 to " +
                                                  std::to_string(kMaxPagesPerCall) + " allowed)");
    }
    const std::string context =
        "domain " + std::to_string(domid) + ", " + std::to_string(count) + " pages";
    // struct ioctl_gntalloc_alloc_gref with room for `count` refs; the kernel first copies
    // the fixed struct, so the buffer is never shorter than that.
    size_t len = std::max(sizeof(abi::GntallocAllocGref),
                          abi::kGntallocAllocGrefIdsOffset + count * sizeof(uint32_t));
    std::vector<uint64_t> buf((len + 7) / 8, 0);
    auto* raw = reinterpret_cast<std::byte*>(buf.data());
    const uint16_t flags = remote_access == Access::kReadWrite ? abi::kGntallocFlagWritable : 0;
    const uint32_t count32 = static_cast<uint32_t>(count);
    std::memcpy(raw + offsetof(abi::GntallocAllocGref, domid), &domid, sizeof domid);
    std::memcpy(raw + offsetof(abi::GntallocAllocGref, flags), &flags, sizeof flags);
    std::memcpy(raw + offsetof(abi::GntallocAllocGref, count), &count32, sizeof count32);
    int rc = RetryEintr([&] { return ::ioctl(fd_.get(), abi::kIoctlGntallocAllocGref, raw); });
    if (rc < 0) {
      int err = errno;
      return Error::FromErrno("ioctl(GNTALLOC_ALLOC_GREF)", err, context);
    }
    uint64_t index = 0;
    std::memcpy(&index, raw + offsetof(abi::GntallocAllocGref, index), sizeof index);
    std::vector<GrantRef> refs(count);
    for (size_t i = 0; i < count; ++i) {
      std::memcpy(&refs[i].value, raw + abi::kGntallocAllocGrefIdsOffset + i * sizeof(uint32_t),
                  sizeof(uint32_t));
    }
    if (index > static_cast<uint64_t>(LLONG_MAX)) {
      DeallocIoctl(index, count32);
      return Error::Invalid("ioctl(GNTALLOC_ALLOC_GREF)", "offset out of range");
    }

    // gntalloc only accepts shared mappings; our side is always read-write.
    void* addr = ::mmap(nullptr, count * kPageSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(),
                        static_cast<off_t>(index));
    if (addr == MAP_FAILED) {
      int err = errno;  // before the cleanup ioctl
      DeallocIoctl(index, count32);
      return Error::FromErrno("mmap(gntalloc)", err, context);
    }
    return SharedPages(GrantMapping(this, index, addr, count, Access::kReadWrite), std::move(refs));
  }

 private:
  void ReleaseMapping(uint64_t index, void* addr, size_t pages) override {
    if (::munmap(addr, pages * kPageSize) != 0) {
      spdlog::error("gntalloc: munmap of {} pages: {}", pages, std::strerror(errno));
    }
    DeallocIoctl(index, static_cast<uint32_t>(pages));
  }

  Status SetUnmapNotify(uint64_t index, void*, const UnmapNotify& notify) override {
    abi::GntUnmapNotify arg{};
    arg.index = index + notify.clear_byte.value_or(0);
    if (notify.clear_byte.has_value()) arg.action |= abi::kUnmapNotifyClearByte;
    if (notify.event_port.has_value()) {
      arg.action |= abi::kUnmapNotifySendEvent;
      arg.event_channel_port = notify.event_port->value;
    }
    int rc =
        RetryEintr([&] { return ::ioctl(fd_.get(), abi::kIoctlGntallocSetUnmapNotify, &arg); });
    if (rc < 0) return Error::FromErrno("ioctl(GNTALLOC_SET_UNMAP_NOTIFY)", errno);
    return {};
  }

  void DeallocIoctl(uint64_t index, uint32_t count) {
    abi::GntallocDeallocGref arg{.index = index, .count = count};
    int rc = RetryEintr([&] { return ::ioctl(fd_.get(), abi::kIoctlGntallocDeallocGref, &arg); });
    if (rc < 0) {
      // The kernel ends the grants when the device is closed.
      spdlog::error("gntalloc: ioctl(GNTALLOC_DEALLOC_GREF) at {:#x}: {}", index,
                    std::strerror(errno));
    }
  }

  UniqueFd fd_;
};

}  // namespace

Result<std::unique_ptr<GrantAllocator>> OpenLinuxGrantAllocator(const std::string& path) {
  Result<UniqueFd> fd = OpenFile(path, O_RDWR);
  if (!fd.has_value()) {
    return std::move(fd.error())
        .With(
            "cannot open the grant allocation device (is this a Xen domain with the "
            "xen-gntalloc module loaded?)");
  }
  return std::unique_ptr<GrantAllocator>(new LinuxGrantAllocator(std::move(*fd)));
}

}  // namespace krata::xen::gnttab
