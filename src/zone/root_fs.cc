#include "zone/root_fs.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "base/eintr.h"
#include "base/file.h"

namespace krata::zone {
namespace {

constexpr size_t kMaxPath = 4096;

std::string Sanitize(std::string_view path) {
  // openat2 with RESOLVE_IN_ROOT treats a leading '/' as the root already; "" means the root.
  std::string p(path);
  if (p.empty()) p = ".";
  return p;
}

}  // namespace

Result<UniqueFd> OpenInRoot(int root_fd, std::string_view path, int flags, int mode) {
  if (path.size() > kMaxPath || path.find('\0') != std::string_view::npos) {
    return Error::Invalid("openat2", "bad path");
  }
  std::string p = Sanitize(path);
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) != 0 ? static_cast<uint64_t>(mode) : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = RetryEintr([&] { return syscall(SYS_openat2, root_fd, p.c_str(), &how, sizeof how); });
  if (fd < 0) return Error::FromErrno("openat2", errno, p);
  return UniqueFd(static_cast<int>(fd));
}

Result<std::string> ReadFileInRoot(int root_fd, std::string_view path, size_t max_bytes) {
  UniqueFd fd = TRY(OpenInRoot(root_fd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK));
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Error::FromErrno("fstat", errno, std::string(path));
  if (!S_ISREG(st.st_mode)) return Error::Invalid("read", std::string(path) + ": not a file");
  std::string out;
  char buf[16384];
  while (out.size() < max_bytes) {
    size_t want = std::min(sizeof buf, max_bytes - out.size());
    ssize_t n = RetryEintr([&] { return read(fd.get(), buf, want); });
    if (n < 0) return Error::FromErrno("read", errno, std::string(path));
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status MkdirAllInRoot(int root_fd, std::string_view path) {
  if (path.size() > kMaxPath) return Error::Invalid("mkdir", "path too long");
  std::string prefix;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view comp = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (comp.empty() || comp == ".") continue;
    UniqueFd parent = TRY(OpenInRoot(root_fd, prefix, O_PATH | O_DIRECTORY));
    std::string name(comp);
    if (mkdirat(parent.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
      return Error::FromErrno("mkdirat", errno, prefix + "/" + name);
    }
    prefix += "/" + name;
  }
  // The last component must now be a directory (EEXIST on a file would slip through).
  TRY(OpenInRoot(root_fd, prefix, O_PATH | O_DIRECTORY));
  return {};
}

Status WriteEtcFile(int root_fd, std::string_view name, std::string_view content) {
  if (name.empty() || name.find('/') != std::string_view::npos) {
    return Error::Invalid("write", "bad /etc file name");
  }
  TRY(MkdirAllInRoot(root_fd, "etc"));
  UniqueFd etc = TRY(OpenInRoot(root_fd, "etc", O_PATH | O_DIRECTORY));
  std::string n(name);
  // Replace whatever is there (a symlink or a file) by a new regular file; O_NOFOLLOW and
  // O_EXCL make sure we never write through a link the image planted.
  if (unlinkat(etc.get(), n.c_str(), 0) != 0 && errno != ENOENT) {
    return Error::FromErrno("unlinkat", errno, "/etc/" + n);
  }
  int fd = RetryEintr([&] {
    return openat(etc.get(), n.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  });
  if (fd < 0) return Error::FromErrno("openat", errno, "/etc/" + n);
  UniqueFd file(fd);
  return WriteAll(file.get(), content);
}

Result<std::string> FindExecutable(int root_fd, std::string_view name, std::string_view path) {
  if (name.empty()) return Error::FromErrno("exec", ENOENT, "empty name");
  if (name.find('/') != std::string_view::npos) return std::string(name);
  bool denied = false;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t colon = path.find(':', pos);
    if (colon == std::string_view::npos) colon = path.size();
    std::string dir(path.substr(pos, colon - pos));
    pos = colon + 1;
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + std::string(name);
    Result<UniqueFd> fd = OpenInRoot(root_fd, candidate, O_PATH);
    if (!fd.has_value()) continue;
    struct stat st {};
    if (fstat(fd->get(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0) {
      denied = true;
      continue;
    }
    return candidate;
  }
  return Error::FromErrno("exec", denied ? EACCES : ENOENT, std::string(name));
}

}  // namespace krata::zone
