#pragma once
// FakeEventChannelHub: an in-memory model of Xen's event channels for unit tests, shared by
// several fake domains. Open(domid) gives an EventChannels handle acting in that domain, as if
// it had opened /dev/xen/evtchn there; the hub's own methods play a guest (or its kernel)
// that has no handle: allocate an unbound port, bind, send, count the events it received.
//
// It follows Xen's rules (xen/common/event_channel.c) and the Linux driver's delivery contract
// (see evtchn.h): ports are allocated lowest-free from 1; binding interdomain needs the remote
// port unbound and meant for us, and leaves the new local port pending; closing one end makes
// the other end unbound again; a fired port is queued once and then disabled until unmasked,
// with further events held pending. A handle's fd() is an eventfd, readable exactly while
// its queue is non-empty, so tests and backends poll(2) it as they would the device.
//
// Thread-safety: everything may be called from any thread (one mutex).

#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "xen/evtchn/evtchn.h"

namespace krata::xen::evtchn {

class FakeEventChannelHub {
 public:
  FakeEventChannelHub();
  ~FakeEventChannelHub();
  FakeEventChannelHub(const FakeEventChannelHub&) = delete;
  FakeEventChannelHub& operator=(const FakeEventChannelHub&) = delete;

  // An EventChannels acting as domain `self`. Its ports are closed when it is destroyed. The
  // handle may outlive the hub.
  std::unique_ptr<EventChannels> Open(DomId self);

  // Guest side (no handle): EVTCHNOP_alloc_unbound in `dom` for `remote`.
  Result<Port> AllocUnbound(DomId dom, DomId remote);
  // Guest side: EVTCHNOP_bind_interdomain from `dom` to remote's port.
  Result<Port> BindInterdomain(DomId dom, DomId remote, Port remote_port);
  // Guest side: EVTCHNOP_send from `dom` on its `port`.
  Status Send(DomId dom, Port port);
  // Guest side: EVTCHNOP_close.
  Status Close(DomId dom, Port port);
  // Raises virtual IRQ `virq` in `dom`: every port bound to it fires.
  void RaiseVirq(DomId dom, uint32_t virq);

  // Events delivered to a handle-less port of `dom` since the last call (then reset to 0).
  int TakeGuestEvents(DomId dom, Port port);
  // Whether `port` of `dom` is in use (unbound, interdomain or virq).
  bool IsOpen(DomId dom, Port port);
  // The remote end of an interdomain port, if it is one.
  struct Peer {
    DomId domid;
    Port port;
  };
  std::optional<Peer> PeerOf(DomId dom, Port port);
  // Makes the next bind, unbind, notify or restrict call on any handle fail with
  // `errno_value` (one shot), as the device's ioctl would.
  void FailNextCall(int errno_value);

  struct State;  // shared with the handles

 private:
  std::shared_ptr<State> state_;
};

}  // namespace krata::xen::evtchn
