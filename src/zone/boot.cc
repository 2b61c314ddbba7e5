#include "zone/boot.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/eintr.h"
#include "base/file.h"
#include "base/log.h"
#include "zone/etc_files.h"
#include "zone/module_order.h"
#include "zone/mount_plan.h"
#include "zone/root_fs.h"

namespace krata::zone {
namespace {

Status MkdirP(const std::string& path, mode_t mode) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
      return Error::FromErrno("mkdir", errno, prefix);
    }
  }
  return {};
}

Status DoMount(const MountSpec& m) {
  std::string target = m.target;
  UniqueFd target_fd;  // keeps the /proc/self/fd path valid for in_new_root targets
  if (m.in_new_root) {
    UniqueFd root = TRY(OpenFile(std::string(kNewRoot), O_PATH | O_DIRECTORY));
    TRY(MkdirAllInRoot(root.get(), m.target));
    target_fd = TRY(OpenInRoot(root.get(), m.target, O_PATH | O_DIRECTORY));
    target = "/proc/self/fd/" + std::to_string(target_fd.get());
  } else {
    TRY(MkdirP(m.target, m.mode));
  }
  if (m.kind == MountSpec::Kind::kMkdir) return {};
  int rc;
  if (m.kind == MountSpec::Kind::kBind) {
    rc = mount(m.source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr);
  } else {
    rc = mount(m.source.c_str(), target.c_str(), m.fstype.c_str(), m.flags,
               m.data.empty() ? nullptr : m.data.c_str());
  }
  // EBUSY: already mounted (a kernel with DEVTMPFS_MOUNT mounts /dev itself).
  if (rc != 0 && !(errno == EBUSY && m.kind == MountSpec::Kind::kMount && !m.in_new_root)) {
    return Error::FromErrno("mount", errno, m.fstype + " on " + m.target);
  }
  return {};
}

Status RunPlan(const std::vector<MountSpec>& plan) {
  for (const MountSpec& m : plan) {
    Status s = DoMount(m);
    if (s.has_value()) continue;
    if (!m.optional) return s;
    spdlog::warn("{}", s.error().ToString());
  }
  return {};
}

}  // namespace

void ReserveStdFds() {
  for (int fd = 0; fd < 3; ++fd) {
    if (fcntl(fd, F_GETFD) != -1) continue;
    // Not O_CLOEXEC: this is a placeholder for a standard descriptor.
    int placeholder = open("/", O_RDONLY | O_DIRECTORY);  // NOLINT(android-cloexec-open)
    if (placeholder >= 0 && placeholder != fd) close(placeholder);
  }
}

Status EarlySetup() {
  TRY(RunPlan({EarlyMounts().front()}));  // /dev first: the console lives there
  UniqueFd console = TRY(OpenFile("/dev/console", O_RDWR | O_NOCTTY));
  for (int fd = 0; fd < 3; ++fd) {
    if (dup2(console.get(), fd) < 0) return Error::FromErrno("dup2", errno, "/dev/console");
  }
  std::vector<MountSpec> rest = EarlyMounts();
  rest.erase(rest.begin());
  TRY(RunPlan(rest));
  for (const auto& [to, link] : DevSymlinks()) {
    if (symlink(to.c_str(), link.c_str()) != 0 && errno != EEXIST) {
      spdlog::warn("symlink {}: {}", link, std::strerror(errno));
    }
  }
  return {};
}

Status LoadModules() {
  Result<std::string> list = ReadFile(std::string(kModuleOrderFile), 1 << 20);
  if (!list.has_value()) {
    spdlog::warn("no module list ({}); assuming the drivers are built in", list.error().ToString());
    return {};
  }
  std::vector<ModuleEntry> modules = TRY(ParseModuleOrder(*list));
  utsname u{};
  uname(&u);
  std::string dir = std::string("/lib/modules/") + u.release + "/";
  for (const ModuleEntry& m : modules) {
    Status loaded = [&]() -> Status {
      UniqueFd fd = TRY(OpenFile(dir + m.path, O_RDONLY));
      long rc = RetryEintr([&] { return syscall(SYS_finit_module, fd.get(), "", 0); });
      if (rc != 0 && errno != EEXIST) return Error::FromErrno("finit_module", errno, m.path);
      return {};
    }();
    if (loaded.has_value()) {
      spdlog::debug("module {} loaded", m.path);
      continue;
    }
    if (!m.optional) return loaded;
    spdlog::warn("optional module: {}", loaded.error().ToString());
  }
  return {};
}

Status WaitForDevices(const std::vector<std::string>& paths, std::chrono::milliseconds timeout) {
  int raw = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (raw < 0) return Error::FromErrno("inotify_init1", errno);
  UniqueFd in(raw);
  // Watch every parent directory before the first check, so no creation is missed.
  for (const std::string& p : paths) {
    std::string parent = p.substr(0, p.rfind('/'));
    if (inotify_add_watch(in.get(), parent.empty() ? "/" : parent.c_str(),
                          IN_CREATE | IN_MOVED_TO) < 0) {
      return Error::FromErrno("inotify_add_watch", errno, parent);
    }
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::vector<std::string> missing;
    for (const std::string& p : paths) {
      if (access(p.c_str(), F_OK) != 0) missing.push_back(p);
    }
    if (missing.empty()) return {};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      std::string names;
      for (const std::string& m : missing) names += (names.empty() ? "" : ", ") + m;
      return Error::FromErrno("wait for devices", ETIMEDOUT, names);
    }
    pollfd pfd{in.get(), POLLIN, 0};
    int rc = poll(&pfd, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno != EINTR) return Error::FromErrno("poll", errno, "inotify");
    alignas(inotify_event) char buf[4096];
    while (read(in.get(), buf, sizeof buf) > 0) {
    }
  }
}

Result<LaunchConfig> ReadLaunchConfig(const std::string& device) {
  UniqueFd fd = TRY(OpenFile(device, O_RDONLY));
  std::string bytes(kConfigHeaderBytes, '\0');
  TRY(ReadExact(fd.get(), bytes.data(), bytes.size()));
  // Length from the header (launch_config.h framing); an oversized one is read no further
  // and left for the decoder to reject.
  uint32_t len = 0;
  for (size_t i = 0; i < 4; ++i) {
    len |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  }
  size_t body = len <= kMaxConfigJson ? len : 0;
  bytes.resize(kConfigHeaderBytes + body);
  TRY(ReadExact(fd.get(), bytes.data() + kConfigHeaderBytes, body));
  return DecodeLaunchConfig(AsBytes(bytes));
}

Status MountRoot(const LaunchConfig& config) { return RunPlan(RootMounts(config)); }

void PrepareEtc(const LaunchConfig& config) {
  Result<UniqueFd> root = OpenFile(std::string(kNewRoot), O_PATH | O_DIRECTORY);
  if (!root.has_value()) {
    spdlog::warn("/etc setup: {}", root.error().ToString());
    return;
  }
  auto warn = [](std::string_view what, const Status& s) {
    if (!s.has_value()) spdlog::warn("{}: {}", what, s.error().ToString());
  };
  if (!config.hostname.empty()) {
    Status valid = ValidateHostname(config.hostname);
    if (valid.has_value()) {
      if (sethostname(config.hostname.data(), config.hostname.size()) != 0) {
        spdlog::warn("sethostname: {}", std::strerror(errno));
      }
      warn("/etc/hostname", WriteEtcFile(root->get(), "hostname", config.hostname + "\n"));
      Result<std::string> hosts = ReadFileInRoot(root->get(), "/etc/hosts", 1 << 20);
      warn("/etc/hosts",
           WriteEtcFile(root->get(), "hosts",
                        EnsureHosts(hosts.has_value() ? *hosts : std::string(), config.hostname)));
    } else {
      warn("hostname \"" + config.hostname + "\" ignored", valid);
    }
  }
  if (!config.nameservers.empty()) {
    Result<std::string> resolv = ResolvConf(config.nameservers);
    if (resolv.has_value()) {
      warn("/etc/resolv.conf", WriteEtcFile(root->get(), "resolv.conf", *resolv));
    } else {
      spdlog::warn("{}", resolv.error().ToString());
    }
  }
}

std::string ConsoleTtyPath() {
  Result<std::string> active = ReadFile("/sys/class/tty/console/active", 4096);
  if (active.has_value()) {
    std::optional<std::string> dev = ConsoleDevice(*active);
    if (dev.has_value() && access(dev->c_str(), F_OK) == 0) return *dev;
  }
  return "/dev/console";
}

}  // namespace krata::zone
