#include "runtime/loop.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "base/file.h"

namespace krata::runtime {
namespace {

constexpr int kAttachAttempts = 16;

// /dev/loopN, created from sysfs when the node is missing (a static /dev in a container).
Result<UniqueFd> OpenLoopNode(int number, int flags) {
  const std::string path = "/dev/loop" + std::to_string(number);
  Result<UniqueFd> fd = OpenFile(path, flags);
  if (fd.has_value() || fd.error().errno_value() != ENOENT) return fd;
  Result<std::string> dev = ReadFile("/sys/block/loop" + std::to_string(number) + "/dev", 4096);
  if (!dev.has_value()) return std::move(fd.error());
  unsigned maj = 0, min = 0;
  if (std::sscanf(dev->c_str(), "%u:%u", &maj, &min) != 2) {
    return Error::Invalid("loop device number", "bad sysfs dev " + *dev);
  }
  if (::mknod(path.c_str(), S_IFBLK | 0600, makedev(maj, min)) != 0 && errno != EEXIST) {
    return Error::FromErrno("mknod", errno, path);
  }
  return OpenFile(path, flags);
}

void FillInfo(loop_info64& info, const std::string& file, bool read_only) {
  std::memset(&info, 0, sizeof info);
  info.lo_flags = LO_FLAGS_AUTOCLEAR | (read_only ? LO_FLAGS_READ_ONLY : 0);
  std::strncpy(reinterpret_cast<char*>(info.lo_file_name), file.c_str(), LO_NAME_SIZE - 1);
}

// One attempt on one free device. EBUSY: someone else took it first.
Status Configure(int loop_fd, int file_fd, const std::string& file, bool read_only) {
  loop_config cfg;
  std::memset(&cfg, 0, sizeof cfg);
  cfg.fd = static_cast<uint32_t>(file_fd);
  FillInfo(cfg.info, file, read_only);
  if (::ioctl(loop_fd, LOOP_CONFIGURE, &cfg) == 0) return {};
  if (errno != EINVAL && errno != ENOTTY) return Error::FromErrno("LOOP_CONFIGURE", errno, file);
  // Before 5.8: attach, then set flags and name (read-only follows the backing fd's mode).
  if (::ioctl(loop_fd, LOOP_SET_FD, file_fd) != 0) {
    return Error::FromErrno("LOOP_SET_FD", errno, file);
  }
  loop_info64 info;
  FillInfo(info, file, read_only);
  if (::ioctl(loop_fd, LOOP_SET_STATUS64, &info) != 0) {
    int e = errno;
    (void)::ioctl(loop_fd, LOOP_CLR_FD, 0);
    return Error::FromErrno("LOOP_SET_STATUS64", e, file);
  }
  return {};
}

}  // namespace

Result<LoopDevice> LoopDevice::Attach(const std::string& file, bool read_only) {
  const int mode = read_only ? O_RDONLY : O_RDWR;
  UniqueFd file_fd = TRY(OpenFile(file, mode));
  UniqueFd control = TRY(OpenFile("/dev/loop-control", O_RDWR));
  Error last = Error::Invalid("attach loop", "no attempt");
  for (int attempt = 0; attempt < kAttachAttempts; ++attempt) {
    int number = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (number < 0) return Error::FromErrno("LOOP_CTL_GET_FREE", errno);
    UniqueFd loop = TRY(OpenLoopNode(number, mode));
    Status s = Configure(loop.get(), file_fd.get(), file, read_only);
    if (!s.has_value()) {
      if (s.error().errno_value() == EBUSY) {  // lost the race for this device
        last = std::move(s.error());
        continue;
      }
      return std::move(s.error()).With("loop" + std::to_string(number));
    }
    struct stat st;
    if (::fstat(loop.get(), &st) != 0) return Error::FromErrno("fstat", errno, "loop device");
    LoopDevice d;
    d.fd_ = std::move(loop);
    d.number_ = number;
    d.major_ = ::major(st.st_rdev);
    d.minor_ = ::minor(st.st_rdev);
    return d;
  }
  return std::move(last).With("attaching " + file + " (every free loop device was taken)");
}

LoopDevice& LoopDevice::operator=(LoopDevice&& o) noexcept {
  if (this != &o) {
    (void)Detach();
    fd_ = std::move(o.fd_);
    number_ = o.number_;
    major_ = o.major_;
    minor_ = o.minor_;
  }
  return *this;
}

Status LoopDevice::Detach() {
  if (!fd_) return {};
  Status s;
  // ENXIO: already detached (autoclear ran).
  if (::ioctl(fd_.get(), LOOP_CLR_FD, 0) != 0 && errno != ENXIO) {
    s = Error::FromErrno("LOOP_CLR_FD", errno, path());
  }
  fd_.reset();
  return s;
}

Result<std::vector<int>> FindLoopsByBackingFile(const std::string& file,
                                                const std::string& sys_block) {
  char real[PATH_MAX];
  std::string want = ::realpath(file.c_str(), real) != nullptr ? std::string(real) : file;
  std::vector<int> found;
  DIR* dir = ::opendir(sys_block.c_str());
  if (dir == nullptr) return Error::FromErrno("opendir", errno, sys_block);
  struct Closer {
    DIR* d;
    ~Closer() { ::closedir(d); }
  } closer{dir};
  while (dirent* e = ::readdir(dir)) {
    int number = 0;
    char tail = 0;
    if (std::sscanf(e->d_name, "loop%d%c", &number, &tail) != 1 || number < 0) continue;
    Result<std::string> backing =
        ReadFile(sys_block + "/" + e->d_name + "/loop/backing_file", PATH_MAX + 32);
    if (!backing.has_value()) continue;  // not attached
    std::string b = *backing;
    while (!b.empty() && b.back() == '\n') b.pop_back();
    static constexpr std::string_view kDeleted = " (deleted)";
    if (b == want || b == want + std::string(kDeleted)) found.push_back(number);
  }
  return found;
}

Status DetachLoop(int number) {
  Result<UniqueFd> fd = OpenLoopNode(number, O_RDONLY);
  if (!fd.has_value()) {
    if (fd.error().errno_value() == ENOENT || fd.error().errno_value() == ENXIO) return {};
    return std::move(fd.error());
  }
  if (::ioctl(fd->get(), LOOP_CLR_FD, 0) != 0 && errno != ENXIO) {
    return Error::FromErrno("LOOP_CLR_FD", errno, "/dev/loop" + std::to_string(number));
  }
  return {};
}

}  // namespace krata::runtime
