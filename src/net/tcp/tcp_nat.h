#pragma once
// TCP between zones and host sockets, passt-style: the zone's TCP connection is terminated
// here and its byte stream relayed through a connected host socket, so the host kernel does
// the real TCP towards the destination. No kernel NAT, no bridge.
//
// Per flow:
//   zone -> host: in-order payload is written to the host socket (once per batch of zone
//     frames) and acknowledged only as far as the write went; the advertised window is the
//     socket's free send buffer, so a slow destination pushes back on the zone instead of
//     being buffered here.
//   host -> zone: bytes read from the socket stay in a bounded per-flow buffer until the zone
//     acknowledges them (retransmission on timeout and on three duplicate ACKs); reading
//     stops while the buffer is full, which closes the host socket's TCP window.
//   Handshake: a zone SYN starts a non-blocking connect; SYN-ACK (with our MSS and window
//     scale) only once it succeeded, RST (or nothing, on timeout) if it failed. Other flows
//     keep running meanwhile. FIN in either direction maps to shutdown(SHUT_WR) / a FIN to the
//     zone (half-close); RST maps to SO_LINGER{0} close and back. Idle and FIN-wait timeouts
//     free flows whose peers vanished.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>

#include "base/unique_handle.h"
#include "net/loop/event_loop.h"
#include "net/packet/frame.h"
#include "net/stack/zone_port.h"

namespace krata::net {

struct TcpNatOptions {
  size_t max_flows = 16384;              // new SYNs beyond this get RST
  size_t zone_buffer_bytes = 512 << 10;  // host->zone bytes held until ACKed, per flow
  std::chrono::milliseconds connect_timeout{30000};
  std::chrono::milliseconds idle_timeout{std::chrono::hours(2)};
  std::chrono::milliseconds fin_timeout{60000};  // after both FINs / a half-close stalls
  std::chrono::milliseconds min_rto{200};
};

struct TcpNatStats {
  size_t flows = 0;
  uint64_t opened = 0, refused = 0, reset_by_zone = 0, retransmits = 0;
};

class TcpNat {
 public:
  TcpNat(EventLoop& loop, TcpNatOptions options = {});
  ~TcpNat();
  TcpNat(const TcpNat&) = delete;
  TcpNat& operator=(const TcpNat&) = delete;

  // A TCP segment from the zone (frame.l4 == kTcp). A SYN for an unknown flow opens one whose
  // host socket connects to `connect_to` (normally the frame's destination; the DNS rule
  // passes an upstream resolver), or is answered with RST when connect_to is nullopt.
  // Segments of unknown flows get RST (unless they are RSTs).
  void FromZone(ZonePort& port, const Frame& frame, std::optional<Endpoint> connect_to);

  // Port forwarding: `host_conn` was accepted on a host listener. Opens a connection from
  // `src` (a gateway address) to `zone_ep` in the zone and relays; if the zone refuses or
  // does not answer, host_conn is reset.
  void Inbound(ZonePort& port, UniqueFd host_conn, const Endpoint& src, const Endpoint& zone_ep);

  // The zone is detached: its flows are closed (host sockets reset) without sending it more
  // frames. Must be called before the ZonePort is destroyed.
  void DropZone(const ZonePort& port);

  TcpNatStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace krata::net
