#include "daemon/daemon.h"

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "base/file.h"
#include "base/log.h"

#ifndef KRATA_VERSION
#define KRATA_VERSION "unknown"
#endif

namespace krata::daemon {
namespace {

Status MakeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return Error::FromErrno("mkdir", errno, path);
  }
  return {};
}

Result<UniqueFd> TakeLock(const std::string& path) {
  UniqueFd fd = TRY(OpenFile(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err == EWOULDBLOCK) {
      return Error::FromErrno("flock", err, path + ": another kratad is running on this store");
    }
    return Error::FromErrno("flock", err, path);
  }
  return fd;
}

// The host id: read, or made once (a random UUID from the kernel).
Result<std::string> HostUuid(const std::string& store) {
  std::string path = store + "/host.uuid";
  Result<std::string> text = ReadFile(path, 64);
  if (text.has_value()) {
    std::string s = *text;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    if (!s.empty()) return s;
  }
  std::string uuid = TRY(ReadFile("/proc/sys/kernel/random/uuid", 64));
  while (!uuid.empty() && uuid.back() == '\n') uuid.pop_back();
  std::string tmp = path + ".tmp";
  {
    UniqueFd fd = TRY(OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    TRY(WriteAll(fd.get(), uuid + "\n"));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Error::FromErrno("rename", errno, path);
  return uuid;
}

}  // namespace

std::string KrataVersion() { return KRATA_VERSION; }

Result<std::unique_ptr<Daemon>> Daemon::Start(DaemonOptions options, runtime::Runtime& runtime,
                                              ImageService* images) {
  if (options.socket_path.empty()) options.socket_path = options.store_dir + "/daemon.socket";
  if (options.consoles.log_dir.empty()) options.consoles.log_dir = options.store_dir + "/logs";
  std::unique_ptr<Daemon> d(new Daemon(std::move(options)));
  const DaemonOptions& o = d->options_;
  TRY(MakeDir(o.store_dir, 0700));
  TRY(MakeDir(o.consoles.log_dir, 0700));
  d->lock_ = TRY(TakeLock(o.store_dir + "/daemon.lock"));
  std::string host_uuid = TRY(HostUuid(o.store_dir));
  d->store_ = TRY(ZoneStore::Open(o.store_dir + "/krata.db"));
  d->consoles_ = std::make_shared<ConsoleHub>(o.consoles);
  d->zones_ =
      std::make_unique<ZoneManager>(*d->store_, runtime, images, d->consoles_, d->events_, o.zones);
  TRY(d->zones_->Start());
  d->service_ =
      std::make_unique<ControlService>(*d->zones_, images, *d->consoles_, d->events_,
                                       HostInfo{.uuid = host_uuid, .version = KrataVersion()});

  // We hold the lock, so a socket file left here is stale.
  if (::unlink(o.socket_path.c_str()) != 0 && errno != ENOENT) {
    return Error::FromErrno("unlink", errno, o.socket_path);
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + o.socket_path, grpc::InsecureServerCredentials());
  builder.RegisterService(d->service_.get());
  // The socket is created by BuildAndStart: a restrictive umask closes the window before the
  // chmod below (the API is root-only: it launches VMs).
  mode_t old_umask = ::umask(0077);
  d->server_ = builder.BuildAndStart();
  ::umask(old_umask);
  if (!d->server_) {
    d->zones_->Stop();
    return Error::FromErrno("grpc listen", EADDRINUSE, o.socket_path);
  }
  if (::chmod(o.socket_path.c_str(), 0600) != 0) {
    int err = errno;
    d->Stop();
    return Error::FromErrno("chmod", err, o.socket_path);
  }
  spdlog::info("kratad {} listening on unix:{}", KrataVersion(), o.socket_path);
  return d;
}

Daemon::~Daemon() { Stop(); }

void Daemon::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // Streams first, so Shutdown does not wait for watchers and followers.
  if (consoles_) consoles_->Shutdown();
  events_.Shutdown();
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
  }
  if (zones_) zones_->Stop();
  ::unlink(options_.socket_path.c_str());
}

}  // namespace krata::daemon
