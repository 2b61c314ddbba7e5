#pragma once
// A zone's Ethernet link as kratanet sees it: an AF_PACKET socket bound to the host end of
// the zone's interface (netback's vif<domid>.<handle>, or a veth end in tests), or the host's
// TAP device. Frames are whole Ethernet frames without a virtio/vnet header.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "net/packet/addr.h"

namespace krata::net {

class Link {
 public:
  virtual ~Link() = default;
  virtual int fd() const = 0;  // readable when frames are waiting (level-triggered)
  virtual const std::string& name() const = 0;
  // Receives one frame into buf; 0 when none is waiting. Frames longer than buf are
  // truncated to buf.size() (callers pass kMaxFrameBytes).
  virtual Result<size_t> Receive(std::span<uint8_t> buf) = 0;
  // Receives up to bufs.size() frames, frame i into bufs[i] with its length in lens[i];
  // returns how many (0 when none is waiting). One recvmmsg(2) on AF_PACKET links; the
  // default calls Receive in a loop.
  virtual Result<size_t> ReceiveBatch(std::span<const std::span<uint8_t>> bufs,
                                      std::span<size_t> lens);
  // Sends one frame; false when the kernel queue is full or the link is down (dropped).
  virtual bool Send(ByteSpan frame) = 0;
  // Sends frames in order (one sendmmsg on AF_PACKET); returns how many went out. The rest
  // were dropped, as Send's false.
  virtual size_t SendBatch(std::span<const ByteSpan> frames);
  // Frames the kernel dropped before we read them (socket buffer full) since the last call.
  virtual uint64_t TakeKernelDrops() { return 0; }
};

// Brings `ifname` up and binds an AF_PACKET socket (ETH_P_ALL, our own transmissions
// ignored) to it. Fails clearly if the interface does not exist.
Result<std::unique_ptr<Link>> OpenPacketLink(std::string_view ifname);

// Creates (or reuses) TAP device `ifname` with `mac` and `mtu`, brings it up; the host's
// addresses on the zone network are added by the caller (net/netlink/rtnl.h).
Result<std::unique_ptr<Link>> OpenTapLink(std::string_view ifname, const Mac& mac, uint16_t mtu);

}  // namespace krata::net
