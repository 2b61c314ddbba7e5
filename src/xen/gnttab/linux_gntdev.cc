// LinuxGrantMapper: GrantMapper over /dev/xen/gntdev (Linux drivers/xen/gntdev.c).
// Mapping is two steps: IOCTL_GNTDEV_MAP_GRANT_REF records the refs and returns an offset
// ("index"); mmap(2) of the device at that offset performs the grant map. Unmapping reverses
// them: munmap, then IOCTL_GNTDEV_UNMAP_GRANT_REF.

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

static_assert(kPageSize == abi::kGrantPageSize);

std::string Describe(DomId domid, std::span<const GrantRef> refs) {
  std::string s = "domain " + std::to_string(domid) + " ref";
  if (refs.size() > 1) s += "s";
  s += " " + std::to_string(refs.front().value);
  if (refs.size() > 1) s += " (+" + std::to_string(refs.size() - 1) + " more)";
  return s;
}

class LinuxGrantMapper final : public GrantMapper, private MappingOwner {
 public:
  explicit LinuxGrantMapper(UniqueFd fd) : fd_(std::move(fd)) {}

  Result<GrantMapping> Map(DomId domid, std::span<const GrantRef> refs, Access access) override {
    if (refs.empty() || refs.size() > kMaxPagesPerCall) {
      return Error::Invalid("gntdev map", std::to_string(refs.size()) + " refs (1 to " +
                                              std::to_string(kMaxPagesPerCall) + " allowed)");
    }
    const uint32_t count = static_cast<uint32_t>(refs.size());
    // struct ioctl_gntdev_map_grant_ref with `count` refs. The kernel first copies the fixed
    // struct (which has room for one ref), so the buffer is never shorter than that.
    size_t len = std::max(sizeof(abi::GntdevMapGrantRef),
                          abi::kGntdevMapGrantRefRefsOffset + count * sizeof(abi::GntdevGrantRef));
    std::vector<uint64_t> buf((len + 7) / 8, 0);  // 8-byte aligned like the struct
    auto* raw = reinterpret_cast<std::byte*>(buf.data());
    std::memcpy(raw + offsetof(abi::GntdevMapGrantRef, count), &count, sizeof count);
    for (uint32_t i = 0; i < count; ++i) {
      abi::GntdevGrantRef r{.domid = domid, .ref = refs[i].value};
      std::memcpy(raw + abi::kGntdevMapGrantRefRefsOffset + i * sizeof r, &r, sizeof r);
    }
    int rc = RetryEintr([&] { return ::ioctl(fd_.get(), abi::kIoctlGntdevMapGrantRef, raw); });
    if (rc < 0) {
      int err = errno;
      return Error::FromErrno("ioctl(GNTDEV_MAP_GRANT_REF)", err, Describe(domid, refs));
    }
    uint64_t index = 0;
    std::memcpy(&index, raw + offsetof(abi::GntdevMapGrantRef, index), sizeof index);
    if (index > static_cast<uint64_t>(LLONG_MAX)) {
      UnmapIoctl(index, count);
      return Error::Invalid("ioctl(GNTDEV_MAP_GRANT_REF)", "offset out of range");
    }

    // The driver insists on MAP_SHARED; a mapping without PROT_WRITE maps the grants
    // read-only (GNTMAP_readonly).
    int prot = PROT_READ | (access == Access::kReadWrite ? PROT_WRITE : 0);
    void* addr =
        ::mmap(nullptr, count * kPageSize, prot, MAP_SHARED, fd_.get(), static_cast<off_t>(index));
    if (addr == MAP_FAILED) {
      int err = errno;  // before the cleanup ioctl
      UnmapIoctl(index, count);
      return Error::FromErrno("mmap(gntdev)", err, Describe(domid, refs));
    }
    return GrantMapping(this, index, addr, count, access);
  }

 private:
  void ReleaseMapping(uint64_t index, void* addr, size_t pages) override {
    if (::munmap(addr, pages * kPageSize) != 0) {
      spdlog::error("gntdev: munmap of {} pages: {}", pages, std::strerror(errno));
    }
    UnmapIoctl(index, static_cast<uint32_t>(pages));
  }

  Status SetUnmapNotify(uint64_t index, void*, const UnmapNotify& notify) override {
    abi::GntUnmapNotify arg{};
    arg.index = index + notify.clear_byte.value_or(0);
    if (notify.clear_byte.has_value()) arg.action |= abi::kUnmapNotifyClearByte;
    if (notify.event_port.has_value()) {
      arg.action |= abi::kUnmapNotifySendEvent;
      arg.event_channel_port = notify.event_port->value;
    }
    int rc = RetryEintr([&] { return ::ioctl(fd_.get(), abi::kIoctlGntdevSetUnmapNotify, &arg); });
    if (rc < 0) return Error::FromErrno("ioctl(GNTDEV_SET_UNMAP_NOTIFY)", errno);
    return {};
  }

  void UnmapIoctl(uint64_t index, uint32_t count) {
    abi::GntdevUnmapGrantRef arg{.index = index, .count = count, .pad = 0};
    int rc = RetryEintr([&] { return ::ioctl(fd_.get(), abi::kIoctlGntdevUnmapGrantRef, &arg); });
    if (rc < 0) {
      // Nothing to return it to: the kernel keeps the record until the device is closed.
      spdlog::error("gntdev: ioctl(GNTDEV_UNMAP_GRANT_REF) at {:#x}: {}", index,
                    std::strerror(errno));
    }
  }

  UniqueFd fd_;
};

}  // namespace

Result<std::unique_ptr<GrantMapper>> OpenLinuxGrantMapper(const std::string& path) {
  Result<UniqueFd> fd = OpenFile(path, O_RDWR);
  if (!fd.has_value()) {
    return std::move(fd.error())
        .With(
            "cannot open the grant mapping device (is this a Xen domain with the xen-gntdev "
            "module loaded?)");
  }
  return std::unique_ptr<GrantMapper>(new LinuxGrantMapper(std::move(*fd)));
}

}  // namespace krata::xen::gnttab
