#pragma once
// The switch's private state, shared by switch.cc (ports, forwards, lifecycle) and
// dispatch.cc (what happens to each frame). Single-threaded: everything runs on the loop.

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/unique_handle.h"
#include "net/packet/build.h"
#include "net/stack/switch.h"

namespace krata::net {

struct SwitchImpl;

// One switch port: a zone's link, or the host's TAP. The NATs and the gateway see it as the
// zone's ZonePort.
class SwitchPort final : public ZonePort {
 public:
  SwitchPort(SwitchImpl& sw, ZoneAddrs addrs, std::unique_ptr<Link> link, bool host)
      : sw_(sw), addrs_(std::move(addrs)), link_(std::move(link)), host_(host) {}

  const ZoneAddrs& zone() const override { return addrs_; }
  const GatewayConfig& gateway() const override;
  // Queues the frame; queued frames go out in one sendmmsg when the queue is full or at the
  // end of the loop's dispatch round (SwitchImpl::FlushAll), so a burst of TCP segments
  // costs one syscall instead of one each. Frames larger than a slot go out at once, in order.
  bool SendToZone(ByteSpan frame) override;
  void Flush();

  Link& link() { return *link_; }
  bool is_host() const { return host_; }
  std::vector<UniqueFd>& listeners() { return listeners_; }

 private:
  SwitchImpl& sw_;
  ZoneAddrs addrs_;
  std::unique_ptr<Link> link_;
  bool host_;
  std::vector<UniqueFd> listeners_;  // TCP port forwards, registered in the loop

  static constexpr size_t kTxSlot = 2048;  // an MTU 1500 frame with room to spare
  static constexpr size_t kTxBatch = 64;
  std::vector<uint8_t> tx_ = std::vector<uint8_t>(kTxSlot * kTxBatch);
  std::array<ByteSpan, kTxBatch> tx_frames_;
  size_t tx_count_ = 0;
};

struct SwitchImpl {
  SwitchImpl(EventLoop& l, SwitchOptions o);
  ~SwitchImpl();
  SwitchImpl(const SwitchImpl&) = delete;
  SwitchImpl& operator=(const SwitchImpl&) = delete;

  // Reads a bounded number of frames from the port (fairness between ports) and
  // dispatches each.
  void OnReadable(SwitchPort& in);
  // The switch rules (switch.h) for one frame; `frame` is mutable so a checksum left
  // partial by offload can be completed in place before forwarding.
  void HandleFrame(SwitchPort& in, std::span<uint8_t> frame);

  // Registers the port's link and forwards; undone by Unplug.
  Status Plug(SwitchPort& port, const std::vector<PortForward>& forwards);
  void Unplug(SwitchPort& port);
  // Sends what every port queued during this dispatch round (EventLoop::SetAfterDispatch).
  void FlushAll();

  EventLoop& loop;
  SwitchOptions options;
  TcpNat tcp;
  UdpNat udp;
  IcmpNat icmp;
  SwitchStats stats;
  std::map<std::string, std::unique_ptr<SwitchPort>, std::less<>> zones;  // by name
  std::unique_ptr<SwitchPort> host;                                       // the TAP, if any
  std::map<Mac, SwitchPort*> by_mac;                                      // zones and host
  std::vector<SwitchPort*> tx_pending;  // ports with queued frames

  static constexpr size_t kBatch = 32;
  static constexpr size_t kBatchesPerWakeup = 4;
  std::vector<uint8_t> rx;  // kBatch frames of kMaxFrameBytes
  std::array<std::span<uint8_t>, kBatch> rx_bufs;
  std::array<size_t, kBatch> rx_lens{};
  uint64_t receive_errors = 0;

 private:
  void ToGateway(SwitchPort& in, const struct Frame& f);
  void Flood(SwitchPort& in, std::span<uint8_t> frame);
  Status ListenTcp(SwitchPort& port, const PortForward& fw, bool v6);
  void AcceptAll(SwitchPort& port, int listen_fd, const PortForward& fw, bool v6);
};

}  // namespace krata::net
