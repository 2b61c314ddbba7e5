// LinuxEventChannels: EventChannels over /dev/xen/evtchn (Linux drivers/xen/evtchn.c).
// Each bind ioctl returns the new local port as its non-negative result.

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "base/eintr.h"
#include "base/file.h"
#include "base/unique_handle.h"
#include "xen/abi/evtchn_dev.h"
#include "xen/evtchn/evtchn.h"

namespace krata::xen::evtchn {
namespace {

class LinuxEventChannels final : public EventChannels {
 public:
  explicit LinuxEventChannels(UniqueFd fd) : fd_(std::move(fd)) {}

  Result<Port> BindInterdomain(DomId remote_domid, Port remote_port) override {
    abi::IoctlEvtchnBindInterdomain arg{.remote_domain = remote_domid,
                                        .remote_port = remote_port.value};
    return BindIoctl(
        abi::kIoctlEvtchnBindInterdomain, &arg, "ioctl(EVTCHN_BIND_INTERDOMAIN)",
        "domain " + std::to_string(remote_domid) + " port " + std::to_string(remote_port.value));
  }

  Result<Port> BindUnbound(DomId remote_domid) override {
    abi::IoctlEvtchnBindUnboundPort arg{.remote_domain = remote_domid};
    return BindIoctl(abi::kIoctlEvtchnBindUnboundPort, &arg, "ioctl(EVTCHN_BIND_UNBOUND_PORT)",
                     "domain " + std::to_string(remote_domid));
  }

  Result<Port> BindVirq(uint32_t virq) override {
    abi::IoctlEvtchnBindVirq arg{.virq = virq};
    return BindIoctl(abi::kIoctlEvtchnBindVirq, &arg, "ioctl(EVTCHN_BIND_VIRQ)",
                     "virq " + std::to_string(virq));
  }

  Status Unbind(Port port) override {
    abi::IoctlEvtchnUnbind arg{.port = port.value};
    return PlainIoctl(abi::kIoctlEvtchnUnbind, &arg, "ioctl(EVTCHN_UNBIND)", port);
  }

  Status Notify(Port port) override {
    abi::IoctlEvtchnNotify arg{.port = port.value};
    return PlainIoctl(abi::kIoctlEvtchnNotify, &arg, "ioctl(EVTCHN_NOTIFY)", port);
  }

  int fd() const override { return fd_.get(); }

  Result<std::vector<Port>> ReadPending() override {
    // The driver hands out whole evtchn_port_t values, at most one page per read.
    std::array<abi::EvtchnPortT, abi::kEvtchnMaxPortsPerIo> buf{};
    ssize_t n = RetryEintr([&] { return ::read(fd_.get(), buf.data(), sizeof buf); });
    if (n < 0) {
      int err = errno;
      if (err == EAGAIN) return std::vector<Port>{};  // O_NONBLOCK: nothing fired
      if (err == EFBIG) {
        return Error::FromErrno("read", err, "/dev/xen/evtchn")
            .With("event queue overflowed (Reset(), then treat every port as fired)");
      }
      return Error::FromErrno("read", err, "/dev/xen/evtchn");
    }
    size_t bytes = static_cast<size_t>(n);
    if (bytes % sizeof(abi::EvtchnPortT) != 0 || bytes > sizeof buf) {
      return Error::Invalid("read /dev/xen/evtchn",
                            "partial port in a " + std::to_string(bytes) + "-byte read");
    }
    std::vector<Port> ports;
    ports.reserve(bytes / sizeof(abi::EvtchnPortT));
    for (size_t i = 0; i < bytes / sizeof(abi::EvtchnPortT); ++i) ports.push_back(Port{buf[i]});
    return ports;
  }

  Status UnmaskAll(std::span<const Port> ports) override {
    // Writing ports back re-enables them; the driver takes at most one page per write.
    std::array<abi::EvtchnPortT, abi::kEvtchnMaxPortsPerIo> buf{};
    while (!ports.empty()) {
      size_t count = std::min(ports.size(), buf.size());
      for (size_t i = 0; i < count; ++i) buf[i] = ports[i].value;
      size_t len = count * sizeof(abi::EvtchnPortT);
      ssize_t n = RetryEintr([&] { return ::write(fd_.get(), buf.data(), len); });
      if (n < 0) {
        int err = errno;
        return Error::FromErrno("write", err, "/dev/xen/evtchn (unmask)");
      }
      if (static_cast<size_t>(n) != len) {
        return Error::Invalid("write /dev/xen/evtchn",
                              "short unmask write of " + std::to_string(n) + " bytes");
      }
      ports = ports.subspan(count);
    }
    return {};
  }

  Status Reset() override {
    int rc = RetryEintr([&] { return ::ioctl(fd_.get(), abi::kIoctlEvtchnReset, nullptr); });
    if (rc < 0) return Error::FromErrno("ioctl(EVTCHN_RESET)", errno);
    return {};
  }

  Status RestrictToDomain(DomId domid) override {
    abi::IoctlEvtchnRestrictDomid arg{.domid = domid};
    int rc = RetryEintr([&] { return ::ioctl(fd_.get(), abi::kIoctlEvtchnRestrictDomid, &arg); });
    if (rc < 0) {
      int err = errno;
      return Error::FromErrno("ioctl(EVTCHN_RESTRICT_DOMID)", err,
                              "domain " + std::to_string(domid));
    }
    return {};
  }

 private:
  template <typename Arg>
  Result<Port> BindIoctl(unsigned long request, Arg* arg, std::string_view op,
                         std::string context) {
    int rc = RetryEintr([&] { return ::ioctl(fd_.get(), request, arg); });
    if (rc < 0) {
      int err = errno;
      return Error::FromErrno(op, err, std::move(context));
    }
    return Port{static_cast<uint32_t>(rc)};
  }

  template <typename Arg>
  Status PlainIoctl(unsigned long request, Arg* arg, std::string_view op, Port port) {
    int rc = RetryEintr([&] { return ::ioctl(fd_.get(), request, arg); });
    if (rc < 0) {
      int err = errno;  // before the context string allocates
      return Error::FromErrno(op, err, "port " + std::to_string(port.value));
    }
    return {};
  }

  UniqueFd fd_;
};

}  // namespace

Result<std::unique_ptr<EventChannels>> OpenLinuxEventChannels(const std::string& path) {
  // Non-blocking, so ReadPending() returns at once and callers wait in poll(2).
  Result<UniqueFd> fd = OpenFile(path, O_RDWR | O_NONBLOCK);
  if (!fd.has_value()) {
    return std::move(fd.error())
        .With(
            "cannot open the event channel device (is this a Xen domain with the "
            "xen-evtchn module loaded?)");
  }
  return std::unique_ptr<EventChannels>(new LinuxEventChannels(std::move(*fd)));
}

}  // namespace krata::xen::evtchn
