#pragma once
// EventChannels: our process's event channel ports, the seam over Linux's /dev/xen/evtchn
// (LinuxEventChannels, opened by OpenLinuxEventChannels) and its in-memory stand-in
// (FakeEventChannelHub in fake_evtchn.h). Backends use it to bind a guest's port, notify the
// guest, and wait for the guest's notifications with poll(2) on fd().
//
// Delivery contract (Linux drivers/xen/evtchn.c): a port starts enabled. When it fires, the
// driver disables it and queues it once; ReadPending() returns it. The port then stays disabled
// (further events are held pending by Xen) until Unmask() writes it back. So a consumer:
//   poll(fd(), POLLIN) -> ReadPending() -> handle each port's ring -> Unmask(those ports).
// Forgetting Unmask() silences the port for good. A port may fire once spuriously; Xen sets
// the local port pending right after BindInterdomain (xen/common/event_channel.c), so handlers
// must tolerate events with no new work. ReadPending() can also return a port that was unbound
// after it fired: ignore ports you no longer know.
//
// Thread-safety: implementations allow concurrent calls; one thread should own the
// ReadPending()/Unmask() loop.

#include <compare>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace krata::xen::evtchn {

using DomId = uint16_t;  // domid_t (xen/include/public/xen.h)

// A local event channel port (evtchn_port_t). Port 0 is never a valid bound port.
struct Port {
  uint32_t value = 0;
  friend constexpr auto operator<=>(Port, Port) = default;
};

inline constexpr char kEvtchnDevice[] = "/dev/xen/evtchn";

class EventChannels {
 public:
  virtual ~EventChannels() = default;

  // Binds a new local port to remote_port of remote_domid (EVTCHNOP_bind_interdomain). The
  // remote port must be unbound and allocated for our domain (the guest's
  // EVTCHNOP_alloc_unbound with remote_dom = us), else EINVAL.
  virtual Result<Port> BindInterdomain(DomId remote_domid, Port remote_port) = 0;
  // Allocates a new local port that remote_domid may bind to (EVTCHNOP_alloc_unbound).
  virtual Result<Port> BindUnbound(DomId remote_domid) = 0;
  // Binds a new local port to virtual IRQ `virq` (VIRQ_* in xen.h), e.g. VIRQ_DOM_EXC.
  virtual Result<Port> BindVirq(uint32_t virq) = 0;
  // Closes a port bound through this object; ENOTCONN if it is not ours.
  virtual Status Unbind(Port port) = 0;
  // Sends an event to the other end of `port`; ENOTCONN if the port is not ours.
  virtual Status Notify(Port port) = 0;

  // Readable (POLLIN) while fired ports are queued. On Linux, POLLERR means the driver's
  // queue overflowed: see ReadPending().
  virtual int fd() const = 0;
  // Returns the ports that fired since the last call, oldest first; empty when none (never
  // blocks). Each returned port stays disabled until Unmask(). On Linux an overflowed queue
  // is an error with errno EFBIG: call Reset(), then treat every port as fired.
  virtual Result<std::vector<Port>> ReadPending() = 0;
  // Re-enables ports returned by ReadPending() (writes them back to the driver). Ports that
  // are not ours, or not disabled, are ignored, as the driver does.
  virtual Status UnmaskAll(std::span<const Port> ports) = 0;
  Status Unmask(Port port) { return UnmaskAll(std::span<const Port>(&port, 1)); }
  // Empties the queue of fired ports and clears an overflow (IOCTL_EVTCHN_RESET).
  virtual Status Reset() = 0;
  // From now on only BindInterdomain to `domid` is allowed (IOCTL_EVTCHN_RESTRICT_DOMID):
  // a per-guest backend gives up the rest. Irreversible; EACCES if already restricted,
  // EINVAL for domid 0 or a reserved domid.
  virtual Status RestrictToDomain(DomId domid) = 0;
};

// Opens the event channel device (/dev/xen/evtchn unless `path` says otherwise), O_CLOEXEC and
// non-blocking. The error names the device and hints at the xen-evtchn module when missing.
Result<std::unique_ptr<EventChannels>> OpenLinuxEventChannels(
    const std::string& path = kEvtchnDevice);

// BoundPort: owns one bound port and unbinds it on destruction (errors are logged). The
// EventChannels must outlive it. Move-only.
class BoundPort {
 public:
  BoundPort() = default;
  BoundPort(EventChannels& channels, Port port) : channels_(&channels), port_(port) {}
  ~BoundPort() { reset(); }
  BoundPort(BoundPort&& o) noexcept
      : channels_(std::exchange(o.channels_, nullptr)), port_(std::exchange(o.port_, Port{})) {}
  BoundPort& operator=(BoundPort&& o) noexcept;
  BoundPort(const BoundPort&) = delete;
  BoundPort& operator=(const BoundPort&) = delete;

  static Result<BoundPort> Interdomain(EventChannels& channels, DomId remote_domid,
                                       Port remote_port);
  static Result<BoundPort> Unbound(EventChannels& channels, DomId remote_domid);
  static Result<BoundPort> Virq(EventChannels& channels, uint32_t virq);

  Port port() const { return port_; }
  explicit operator bool() const { return channels_ != nullptr; }
  Status Notify() const;
  Status Unmask() const;
  // Unbinds now and reports the error; the object is empty afterwards either way.
  Status Close();
  // Gives up ownership without unbinding.
  [[nodiscard]] Port release();
  // Unbinds (logging any error) and becomes empty.
  void reset();

 private:
  EventChannels* channels_ = nullptr;
  Port port_;
};

}  // namespace krata::xen::evtchn
