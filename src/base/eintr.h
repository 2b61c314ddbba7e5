#pragma once
// Retries a syscall wrapper while it fails with EINTR (never use it for close(2)).

#include <cerrno>

namespace krata {

template <typename F>
auto RetryEintr(F&& f) {
  decltype(f()) rc;
  do {
    rc = f();
  } while (rc == -1 && errno == EINTR);
  return rc;
}

}  // namespace krata
