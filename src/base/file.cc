#include "base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "base/eintr.h"

namespace krata {

Result<UniqueFd> OpenFile(const std::string& path, int flags, int mode) {
  int fd = RetryEintr([&] { return ::open(path.c_str(), flags | O_CLOEXEC, mode); });
  if (fd < 0) return Error::FromErrno("open", errno, path);
  return UniqueFd(fd);
}

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  UniqueFd fd = TRY(OpenFile(path, O_RDONLY));
  std::string out;
  struct stat st;
  if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) {
    if (static_cast<uint64_t>(st.st_size) > max_bytes) {
      return Error::Invalid("read", path + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.reserve(static_cast<size_t>(st.st_size));  // one allocation for kernels and images
  }
  constexpr size_t kChunk = 1 << 20;
  for (;;) {
    size_t old_size = out.size();
    out.resize(old_size + kChunk);
    ssize_t n = RetryEintr([&] { return ::read(fd.get(), out.data() + old_size, kChunk); });
    if (n < 0) return Error::FromErrno("read", errno, path);
    out.resize(old_size + static_cast<size_t>(n));
    if (n == 0) break;
    if (out.size() > max_bytes) {
      return Error::Invalid("read", path + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  return out;
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = RetryEintr([&] { return ::write(fd, data.data(), data.size()); });
    if (n < 0) return Error::FromErrno("write", errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = RetryEintr([&] { return ::send(fd, data.data(), data.size(), MSG_NOSIGNAL); });
    if (n < 0) return Error::FromErrno("send", errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status ReadExact(int fd, void* buf, size_t len) {
  auto* p = static_cast<char*>(buf);
  while (len > 0) {
    ssize_t n = RetryEintr([&] { return ::read(fd, p, len); });
    if (n < 0) return Error::FromErrno("read", errno);
    if (n == 0) return Error::Invalid("read", "unexpected end of stream");
    p += n;
    len -= static_cast<size_t>(n);
  }
  return {};
}

}  // namespace krata
