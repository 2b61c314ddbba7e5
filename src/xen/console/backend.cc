#include "xen/console/backend.h"

#include "xen/abi/grant_table.h"

namespace krata::xen::console {

Result<std::unique_ptr<ConsoleBackend>> ConsoleBackend::Attach(gnttab::GrantMapper& grants,
                                                                evtchn::EventChannels& events,
                                                                uint16_t domid,
                                                                uint32_t guest_port,
                                                                size_t history_limit) {
  std::string ctx = "console of domain " + std::to_string(domid);
  Result<gnttab::GrantMapping> map = grants.MapOne(
      domid, gnttab::GrantRef{abi::kGnttabReservedConsole}, gnttab::Access::kReadWrite);
  if (!map.has_value()) return std::move(map.error()).With(ctx);
  Result<evtchn::BoundPort> port =
      evtchn::BoundPort::Interdomain(events, domid, evtchn::Port{guest_port});
  if (!port.has_value()) return std::move(port.error()).With(ctx);
  return std::unique_ptr<ConsoleBackend>(
      new ConsoleBackend(std::move(*map), std::move(*port), history_limit));
}

Result<std::string> ConsoleBackend::Service() {
  std::string out;
  // Keep draining while the guest keeps producing, so one event empties the ring.
  for (;;) {
    size_t n = TRY(ring_.ReadOutput(out));
    if (n == 0) break;
    if (out.size() > (1u << 20)) break;  // bound one call's work; the next event continues
  }
  if (!out.empty()) {
    total_output_ += out.size();
    history_ += out;
    if (history_.size() > limit_) history_.erase(0, history_.size() - limit_);
    TRY(port_.Notify());  // the guest may be waiting for ring space
  }
  return out;
}

Result<std::string> ConsoleBackend::Write(std::string_view input) {
  size_t n = TRY(ring_.WriteInput(input));
  if (n > 0) TRY(port_.Notify());
  return std::string(input.substr(n));
}

}  // namespace krata::xen::console
