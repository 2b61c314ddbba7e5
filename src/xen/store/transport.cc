#include "xen/store/transport.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/eintr.h"
#include "base/file.h"

namespace krata::xen::store {

Status FdTransport::Write(std::string_view bytes) {
  return is_socket_ ? SendAll(fd_.get(), bytes) : WriteAll(fd_.get(), bytes);
}
Result<size_t> FdTransport::ReadSome(void* buf, size_t len) {
  ssize_t n = RetryEintr([&] { return ::read(fd_.get(), buf, len); });
  if (n < 0) return Error::FromErrno("read", errno, "xenstore connection");
  return static_cast<size_t>(n);
}

Result<std::unique_ptr<Transport>> ConnectUnixSocket(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return Error::Invalid("connect", "path too long");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int raw = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (raw < 0) return Error::FromErrno("socket", errno);
  UniqueFd fd(raw);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Error::FromErrno("connect", errno, path);
  }
  return std::unique_ptr<Transport>(new FdTransport(std::move(fd), true));
}

Result<std::unique_ptr<Transport>> OpenXenbus(const std::string& path) {
  UniqueFd fd = TRY(OpenFile(path, O_RDWR));
  return std::unique_ptr<Transport>(new FdTransport(std::move(fd), false));
}

Result<std::unique_ptr<Transport>> ConnectDefault() {
  if (const char* env = std::getenv("XENSTORED_PATH"); env != nullptr && *env != '\0') {
    if (std::strncmp(env, "/dev/", 5) == 0) return OpenXenbus(env);
    return ConnectUnixSocket(env);
  }
  Result<std::unique_ptr<Transport>> sock = ConnectUnixSocket(kXenstoredSocket);
  if (sock.has_value()) return sock;
  Result<std::unique_ptr<Transport>> bus = OpenXenbus();
  if (bus.has_value()) return bus;
  return std::move(sock.error())
      .With("cannot reach xenstored (no socket and no " + std::string(kXenbusDevice) + ")");
}

}  // namespace krata::xen::store
