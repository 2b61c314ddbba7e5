#include "runtime/console_hub.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/eintr.h"
#include "base/log.h"

namespace krata::runtime {

using xen::evtchn::Port;

Result<std::unique_ptr<ConsoleHub>> ConsoleHub::Start(xen::evtchn::EventChannels& events) {
  int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return Error::FromErrno("eventfd", errno);
  std::unique_ptr<ConsoleHub> hub(new ConsoleHub(events, UniqueFd(fd)));
  hub->thread_ = std::thread([h = hub.get()] { h->Run(); });
  return hub;
}

ConsoleHub::~ConsoleHub() {
  stop_ = true;
  Wake();
  if (thread_.joinable()) thread_.join();
}

void ConsoleHub::Wake() {
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);  // a full counter still wakes the thread
}

void ConsoleHub::SetHandler(ConsoleOutputFn handler) {
  std::lock_guard lock(mu_);
  handler_ = std::move(handler);
}

Status ConsoleHub::Adopt(const std::string& zone_id,
                         std::unique_ptr<xen::console::ConsoleBackend> backend) {
  {
    std::lock_guard lock(mu_);
    if (zones_.count(zone_id) != 0) {
      return Error::FromErrno("console adopt", EEXIST, "zone " + zone_id);
    }
    zones_[zone_id].backend = std::move(backend);
  }
  Wake();
  return {};
}

std::unique_ptr<xen::console::ConsoleBackend> ConsoleHub::Release(const std::string& zone_id) {
  std::lock_guard lock(mu_);
  auto it = zones_.find(zone_id);
  if (it == zones_.end()) return nullptr;
  std::unique_ptr<xen::console::ConsoleBackend> b = std::move(it->second.backend);
  zones_.erase(it);
  return b;
}

Status ConsoleHub::Write(const std::string& zone_id, std::string_view bytes) {
  std::lock_guard lock(mu_);
  auto it = zones_.find(zone_id);
  if (it == zones_.end()) return Error::FromErrno("console write", ENOENT, "zone " + zone_id);
  Zone& z = it->second;
  if (z.broken) return Error::FromErrno("console write", EIO, "zone " + zone_id);
  if (z.pending_input.size() + bytes.size() > kMaxPendingInput) {
    return Error::FromErrno("console write", ENOBUFS, "zone " + zone_id);
  }
  z.pending_input.append(bytes);
  Result<std::string> rest = z.backend->Write(z.pending_input);
  if (!rest.has_value()) {
    z.broken = true;
    return std::move(rest.error()).With("zone " + zone_id);
  }
  z.pending_input = std::move(*rest);
  return {};
}

std::string ConsoleHub::History(const std::string& zone_id) {
  std::lock_guard lock(mu_);
  auto it = zones_.find(zone_id);
  return it == zones_.end() ? std::string() : it->second.backend->history();
}

void ConsoleHub::ServiceLocked(const std::vector<Port>& fired, bool all,
                               std::vector<std::pair<std::string, std::string>>& out) {
  for (auto& [id, z] : zones_) {
    bool hit = all || z.needs_service;
    for (Port p : fired) hit = hit || p == z.backend->port();
    if (!hit || z.broken) continue;
    z.needs_service = false;
    Result<std::string> bytes = z.backend->Service();
    if (!bytes.has_value()) {
      // A guest that corrupts its own ring only loses its console.
      spdlog::warn("zone {}: console ring: {}", id, bytes.error().ToString());
      z.broken = true;
      continue;
    }
    if (!bytes->empty()) out.emplace_back(id, std::move(*bytes));
    if (!z.pending_input.empty()) {  // the guest may have made room
      Result<std::string> rest = z.backend->Write(z.pending_input);
      if (rest.has_value()) z.pending_input = std::move(*rest);
    }
  }
}

void ConsoleHub::Run() {
  while (!stop_) {
    pollfd fds[2] = {{events_.fd(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (RetryEintr([&] { return ::poll(fds, 2, -1); }) < 0) {
      spdlog::error("console hub: poll: {}", std::strerror(errno));
      return;
    }
    if (stop_) return;
    if (fds[1].revents != 0) {
      uint64_t n;
      (void)!::read(wake_.get(), &n, sizeof n);
    }
    std::vector<Port> fired;
    bool all = false;
    if (fds[0].revents != 0) {
      Result<std::vector<Port>> pending = events_.ReadPending();
      if (pending.has_value()) {
        fired = std::move(*pending);
      } else {  // overflow (EFBIG): start over and look at every ring
        (void)events_.Reset();
        all = true;
      }
    }
    std::vector<std::pair<std::string, std::string>> out;
    ConsoleOutputFn handler;
    {
      std::lock_guard lock(mu_);
      ServiceLocked(fired, all, out);
      handler = handler_;
    }
    if (!fired.empty()) {
      if (Status s = events_.UnmaskAll(fired); !s.has_value()) {
        spdlog::warn("console hub: unmask: {}", s.error().ToString());
      }
    }
    if (handler) {
      for (const auto& [id, bytes] : out) handler(id, bytes);
    }
  }
}

}  // namespace krata::runtime
