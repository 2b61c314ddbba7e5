// Fuzzes XsConnection with arbitrary bytes from "xenstored": replies with any req_id, type
// and length, watch events, garbage. The input is written to the server end of a socketpair
// while one call is outstanding, then the server end closes. Invariants: the call returns
// (no hang) with an error or a payload within XENSTORE_PAYLOAD_MAX; every queued watch event
// has a non-empty path; the connection ends failed (EOF at the latest).

#include <sys/socket.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <thread>

#include "base/file.h"
#include "xen/abi/xs_wire.h"
#include "xen/store/connection.h"

using namespace krata::xen::store;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  krata::UniqueFd server(fds[0]);
  XsConnection conn(std::make_unique<FdTransport>(krata::UniqueFd(fds[1]), true));

  // The first request gets req_id 1, so inputs can answer it.
  krata::Result<std::string> reply = krata::Error();
  std::thread caller([&] { reply = conn.Call(XsType::kRead, std::string_view("/a\0", 3)); });
  // Socket buffers are far larger than fuzz inputs; errors just mean the client went away.
  (void)krata::SendAll(server.get(), {reinterpret_cast<const char*>(data), size});
  ::shutdown(server.get(), SHUT_RDWR);
  caller.join();

  if (reply.has_value() && reply->size() > krata::xen::abi::kXsPayloadMax) std::abort();
  for (;;) {
    krata::Result<std::optional<WatchEvent>> ev = conn.TryPopWatchEvent();
    if (!ev.has_value()) break;  // drained, then the failure
    if (!ev->has_value()) {
      // Not failed yet: only possible before the reader saw EOF; wait for it.
      ev = conn.WaitWatchEvent(std::nullopt);
      if (!ev.has_value()) break;
    }
    if ((*ev)->path.empty()) std::abort();
  }
  if (!conn.failure().has_value()) std::abort();
  return 0;
}
