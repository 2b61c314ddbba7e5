// TAP link (Documentation/networking/tuntap.rst): the host's own port on the zone network.
// IFF_NO_PI and no IFF_VNET_HDR, so reads and writes are plain Ethernet frames and the
// kernel completes checksums before handing frames to us.

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/eintr.h"
#include "base/file.h"
#include "base/unique_handle.h"
#include "net/link/link.h"
#include "net/netlink/rtnl.h"

namespace krata::net {
namespace {

class TapLink final : public Link {
 public:
  TapLink(UniqueFd fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}

  int fd() const override { return fd_.get(); }
  const std::string& name() const override { return name_; }

  Result<size_t> Receive(std::span<uint8_t> buf) override {
    ssize_t n = RetryEintr([&] { return ::read(fd_.get(), buf.data(), buf.size()); });
    if (n < 0) {
      if (errno == EAGAIN) return size_t{0};
      return Error::FromErrno("read", errno, name_);
    }
    return static_cast<size_t>(n);
  }

  bool Send(ByteSpan frame) override {
    ssize_t n = RetryEintr([&] { return ::write(fd_.get(), frame.data(), frame.size()); });
    return n == static_cast<ssize_t>(frame.size());
  }

 private:
  UniqueFd fd_;
  std::string name_;
};

}  // namespace

Result<std::unique_ptr<Link>> OpenTapLink(std::string_view ifname, const Mac& mac, uint16_t mtu) {
  std::string name(ifname);
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return Error::Invalid("OpenTapLink", "bad interface name '" + name + "'");
  }
  UniqueFd fd = TRY(OpenFile("/dev/net/tun", O_RDWR | O_NONBLOCK));
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  if (RetryEintr([&] { return ::ioctl(fd.get(), TUNSETIFF, &ifr); }) < 0) {
    return Error::FromErrno("ioctl(TUNSETIFF)", errno, name);
  }
  TRY(rtnl::SetLinkUp(name, mtu, mac));
  return std::unique_ptr<Link>(new TapLink(std::move(fd), std::move(name)));
}

}  // namespace krata::net
