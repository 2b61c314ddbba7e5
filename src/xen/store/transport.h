#pragma once
// How the client reaches xenstored: its unix socket in dom0, or /dev/xen/xenbus (the
// kernel's ring to xenstored) in a guest or where no socket exists. Both carry the same
// framing (xen/include/public/io/xs_wire.h), so one fd-based transport serves both.

#include <memory>
#include <string>

#include "base/result.h"
#include "base/unique_handle.h"

namespace krata::xen::store {

// Thread-safety: Write and ReadSome may run concurrently on different threads (the client
// has one reader thread and serialises its writers), never two Writes at once.
class Transport {
 public:
  virtual ~Transport() = default;
  // Writes all bytes.
  virtual Status Write(std::string_view bytes) = 0;
  // Reads between 1 and len bytes, blocking until some are available; 0 means the peer
  // closed the connection.
  virtual Result<size_t> ReadSome(void* buf, size_t len) = 0;
  // An fd that polls readable when ReadSome would not block (also at EOF).
  virtual int PollFd() const = 0;
};

// A transport over any stream fd (unix socket, xenbus device, socketpair in tests).
class FdTransport final : public Transport {
 public:
  // is_socket: use send(MSG_NOSIGNAL) so a dead xenstored is an error, not SIGPIPE.
  FdTransport(UniqueFd fd, bool is_socket) : fd_(std::move(fd)), is_socket_(is_socket) {}
  Status Write(std::string_view bytes) override;
  Result<size_t> ReadSome(void* buf, size_t len) override;
  int PollFd() const override { return fd_.get(); }

 private:
  UniqueFd fd_;
  bool is_socket_;
};

inline constexpr const char* kXenstoredSocket = "/var/run/xenstored/socket";
inline constexpr const char* kXenbusDevice = "/dev/xen/xenbus";

Result<std::unique_ptr<Transport>> ConnectUnixSocket(const std::string& path);
Result<std::unique_ptr<Transport>> OpenXenbus(const std::string& path = kXenbusDevice);
// $XENSTORED_PATH if set, else the socket, else /dev/xen/xenbus.
Result<std::unique_ptr<Transport>> ConnectDefault();

}  // namespace krata::xen::store
