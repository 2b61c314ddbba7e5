// AF_PACKET link (packet(7)): a raw socket bound to one interface, frames in and out whole.

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "base/eintr.h"
#include "base/unique_handle.h"
#include "net/link/link.h"
#include "net/netlink/rtnl.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23  // linux/if_packet.h, Linux 4.20
#endif

namespace krata::net {
namespace {

// Room for a burst at 10 Gbit/s; the kernel drops (and TCP recovers) beyond it.
constexpr int kRecvBufferBytes = 8 << 20;
constexpr int kSendBufferBytes = 4 << 20;
constexpr size_t kMaxBatch = 64;

class PacketLink final : public Link {
 public:
  PacketLink(UniqueFd fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}

  int fd() const override { return fd_.get(); }
  const std::string& name() const override { return name_; }

  Result<size_t> Receive(std::span<uint8_t> buf) override {
    ssize_t n = RetryEintr([&] { return ::recv(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT); });
    if (n < 0) {
      if (errno == EAGAIN) return size_t{0};
      return Error::FromErrno("recv", errno, name_);
    }
    return static_cast<size_t>(n);
  }

  Result<size_t> ReceiveBatch(std::span<const std::span<uint8_t>> bufs,
                              std::span<size_t> lens) override {
    size_t want = std::min({bufs.size(), lens.size(), kMaxBatch});
    iovec iov[kMaxBatch];
    mmsghdr msgs[kMaxBatch] = {};
    for (size_t i = 0; i < want; ++i) {
      iov[i] = {bufs[i].data(), bufs[i].size()};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = RetryEintr([&] {
      return ::recvmmsg(fd_.get(), msgs, static_cast<unsigned>(want), MSG_DONTWAIT, nullptr);
    });
    if (n < 0) {
      if (errno == EAGAIN) return size_t{0};
      return Error::FromErrno("recvmmsg", errno, name_);
    }
    for (int i = 0; i < n; ++i) lens[i] = std::min<size_t>(msgs[i].msg_len, bufs[i].size());
    return static_cast<size_t>(n);
  }

  uint64_t TakeKernelDrops() override {
    tpacket_stats st{};  // reading resets the kernel's counters (packet(7))
    socklen_t len = sizeof(st);
    if (::getsockopt(fd_.get(), SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0) return 0;
    return st.tp_drops;
  }

  size_t SendBatch(std::span<const ByteSpan> frames) override {
    size_t sent = 0, delivered = 0;  // sent: frames done with (out or dropped)
    while (sent < frames.size()) {
      size_t want = std::min(frames.size() - sent, kMaxBatch);
      iovec iov[kMaxBatch];
      mmsghdr msgs[kMaxBatch] = {};
      for (size_t i = 0; i < want; ++i) {
        ByteSpan f = frames[sent + i];
        iov[i] = {const_cast<std::byte*>(f.data()), f.size()};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      int n = RetryEintr(
          [&] { return ::sendmmsg(fd_.get(), msgs, static_cast<unsigned>(want), MSG_DONTWAIT); });
      if (n <= 0) {
        // The frame at the head failed (queue full, link gone): drop it, as Send does, and
        // try the rest.
        ++sent;
        continue;
      }
      // sendmmsg stops at the first failing frame; count what went out and go on after it.
      sent += static_cast<size_t>(n);
      delivered += static_cast<size_t>(n);
    }
    return delivered;
  }

  bool Send(ByteSpan frame) override {
    // EAGAIN/ENOBUFS: the socket or device queue is full; ENETDOWN/ENXIO: the link is gone.
    // All mean the frame is dropped, as a full NIC ring would.
    ssize_t n =
        RetryEintr([&] { return ::send(fd_.get(), frame.data(), frame.size(), MSG_DONTWAIT); });
    return n == static_cast<ssize_t>(frame.size());
  }

 private:
  UniqueFd fd_;
  std::string name_;
};

void SetBuffer(int fd, int force_opt, int opt, int bytes) {
  // The *FORCE variants need CAP_NET_ADMIN and ignore net.core.[rw]mem_max; fall back to
  // the capped ones. Either way a smaller buffer only costs drops under bursts.
  if (::setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) != 0) {
    (void)::setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
  }
}

}  // namespace

Result<std::unique_ptr<Link>> OpenPacketLink(std::string_view ifname) {
  std::string name(ifname);
  // Protocol 0 receives nothing until bind() names ETH_P_ALL and the interface, so no frame
  // of another interface slips in between (packet(7)).
  int raw = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (raw < 0) return Error::FromErrno("socket(AF_PACKET)", errno, name);
  UniqueFd fd(raw);

  int index = TRY(rtnl::LinkIndex(ifname));
  TRY(rtnl::SetLinkUp(ifname));

  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = index;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sll), sizeof(sll)) != 0) {
    return Error::FromErrno("bind(AF_PACKET)", errno, name);
  }
  // Without this every frame we send would come back to us as an outgoing copy.
  int one = 1;
  if (::setsockopt(fd.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0) {
    return Error::FromErrno("setsockopt(PACKET_IGNORE_OUTGOING)", errno, name);
  }
  SetBuffer(fd.get(), SO_RCVBUFFORCE, SO_RCVBUF, kRecvBufferBytes);
  SetBuffer(fd.get(), SO_SNDBUFFORCE, SO_SNDBUF, kSendBufferBytes);
  return std::unique_ptr<Link>(new PacketLink(std::move(fd), std::move(name)));
}

}  // namespace krata::net
