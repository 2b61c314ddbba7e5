#include <spdlog/spdlog.h>

#include "xen/evtchn/evtchn.h"

namespace krata::xen::evtchn {

BoundPort& BoundPort::operator=(BoundPort&& o) noexcept {
  if (this != &o) {
    reset();
    channels_ = std::exchange(o.channels_, nullptr);
    port_ = std::exchange(o.port_, Port{});
  }
  return *this;
}

Result<BoundPort> BoundPort::Interdomain(EventChannels& channels, DomId remote_domid,
                                         Port remote_port) {
  Port port = TRY(channels.BindInterdomain(remote_domid, remote_port));
  return BoundPort(channels, port);
}

Result<BoundPort> BoundPort::Unbound(EventChannels& channels, DomId remote_domid) {
  Port port = TRY(channels.BindUnbound(remote_domid));
  return BoundPort(channels, port);
}

Result<BoundPort> BoundPort::Virq(EventChannels& channels, uint32_t virq) {
  Port port = TRY(channels.BindVirq(virq));
  return BoundPort(channels, port);
}

Status BoundPort::Notify() const {
  if (channels_ == nullptr) return Error::Invalid("evtchn notify", "no port bound");
  return channels_->Notify(port_);
}

Status BoundPort::Unmask() const {
  if (channels_ == nullptr) return Error::Invalid("evtchn unmask", "no port bound");
  return channels_->Unmask(port_);
}

Status BoundPort::Close() {
  if (channels_ == nullptr) return {};
  EventChannels* channels = std::exchange(channels_, nullptr);
  return channels->Unbind(std::exchange(port_, Port{}));
}

Port BoundPort::release() {
  channels_ = nullptr;
  return std::exchange(port_, Port{});
}

void BoundPort::reset() {
  Port port = port_;
  Status s = Close();
  if (!s.has_value()) {
    // A destructor cannot report it; the port stays bound until the device is closed.
    spdlog::warn("event channel port {}: {}", port.value, s.error().ToString());
  }
}

}  // namespace krata::xen::evtchn
