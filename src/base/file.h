#pragma once
// Small file helpers with Result errors.

#include <string>

#include "base/result.h"
#include "base/unique_handle.h"

namespace krata {

// open(2) with O_CLOEXEC added.
Result<UniqueFd> OpenFile(const std::string& path, int flags, int mode = 0);
// Reads a whole (small) file; refuses files larger than max_bytes.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes = 64 << 20);
// Writes all of data to fd, retrying short writes and EINTR.
Status WriteAll(int fd, std::string_view data);
// Like WriteAll for a socket, with MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE.
Status SendAll(int fd, std::string_view data);
// Reads exactly len bytes into buf; an early EOF is an error.
Status ReadExact(int fd, void* buf, size_t len);

}  // namespace krata
