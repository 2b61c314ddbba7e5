#include "daemon/console_hub.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "base/eintr.h"
#include "base/file.h"
#include "base/log.h"

namespace krata::daemon {
namespace {

// The last `max` bytes of the file at path ("" when it does not exist).
std::string ReadTail(const std::string& path, size_t max) {
  Result<UniqueFd> fd = OpenFile(path, O_RDONLY | O_CLOEXEC);
  if (!fd.has_value()) return {};
  off_t size = ::lseek(fd->get(), 0, SEEK_END);
  if (size <= 0) return {};
  off_t start = size > static_cast<off_t>(max) ? size - static_cast<off_t>(max) : 0;
  std::string out(static_cast<size_t>(size - start), '\0');
  ssize_t n = RetryEintr([&] { return ::pread(fd->get(), out.data(), out.size(), start); });
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

void TrimFront(std::string& s, size_t max) {
  if (s.size() > max) s.erase(0, s.size() - max);
}

}  // namespace

ConsoleSubscription::Event ConsoleSubscription::Wait(std::string* out,
                                                     std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_for(l, timeout, [this] { return !queue_.empty() || ended_; });
  if (overflow_) return Event::kOverflow;
  if (!queue_.empty()) {
    out->swap(queue_);
    queue_.clear();
    return Event::kData;
  }
  return ended_ ? Event::kEnd : Event::kTimeout;
}

void ConsoleSubscription::Cancel() { Finish(); }

void ConsoleSubscription::Push(std::string_view bytes, size_t max) {
  std::lock_guard<std::mutex> l(mu_);
  if (ended_) return;
  if (queue_.size() + bytes.size() > max) {
    overflow_ = true;
    ended_ = true;
    queue_.clear();
  } else {
    queue_.append(bytes);
  }
  cv_.notify_all();
}

void ConsoleSubscription::Finish() {
  std::lock_guard<std::mutex> l(mu_);
  ended_ = true;
  cv_.notify_all();
}

ConsoleHub::ConsoleHub(ConsoleHubOptions options) : options_(std::move(options)) {}

std::string ConsoleHub::LogPath(const std::string& zone_id) const {
  return options_.log_dir + "/" + zone_id + ".log";
}

ConsoleHub::Zone& ConsoleHub::ZoneLocked(const std::string& zone_id) {
  auto it = zones_.find(zone_id);
  if (it != zones_.end()) return it->second;
  Zone& z = zones_[zone_id];
  if (!options_.log_dir.empty()) {
    // After a restart the history comes back from the log files (older rotation first).
    std::string path = LogPath(zone_id);
    std::string current = ReadTail(path, options_.history_bytes);
    if (current.size() < options_.history_bytes) {
      z.history = ReadTail(path + ".1", options_.history_bytes - current.size());
    }
    z.history += current;
  }
  return z;
}

void ConsoleHub::WriteLogLocked(const std::string& zone_id, Zone& z, std::string_view bytes) {
  if (options_.log_dir.empty()) return;
  std::string path = LogPath(zone_id);
  if (z.log && z.log_size + bytes.size() > options_.log_max_bytes) {
    z.log.reset();
    if (::rename(path.c_str(), (path + ".1").c_str()) != 0) {
      spdlog::warn("console log {}: rotate: {}", path, errno);
    }
  }
  if (!z.log) {
    Result<UniqueFd> fd = OpenFile(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (!fd.has_value()) {
      spdlog::warn("console log: {}", fd.error().ToString());
      return;
    }
    z.log = std::move(*fd);
    off_t size = ::lseek(z.log.get(), 0, SEEK_END);
    z.log_size = size > 0 ? static_cast<uint64_t>(size) : 0;
  }
  Status st = WriteAll(z.log.get(), bytes);
  if (!st.has_value()) spdlog::warn("console log: {}", st.error().ToString());
  z.log_size += bytes.size();
}

void ConsoleHub::Append(const std::string& zone_id, std::string_view bytes) {
  std::lock_guard<std::mutex> l(mu_);
  Zone& z = ZoneLocked(zone_id);
  WriteLogLocked(zone_id, z, bytes);
  z.history.append(bytes);
  TrimFront(z.history, options_.history_bytes);
  std::erase_if(z.subscribers, [&](const std::weak_ptr<ConsoleSubscription>& w) {
    std::shared_ptr<ConsoleSubscription> s = w.lock();
    if (!s) return true;
    s->Push(bytes, options_.subscriber_max_bytes);
    return false;
  });
}

std::shared_ptr<ConsoleSubscription> ConsoleHub::Subscribe(const std::string& zone_id, bool replay,
                                                           bool follow) {
  auto sub = std::make_shared<ConsoleSubscription>();
  std::lock_guard<std::mutex> l(mu_);
  Zone& z = ZoneLocked(zone_id);
  if (replay && !z.history.empty()) {
    sub->Push(z.history, options_.history_bytes + options_.subscriber_max_bytes);
  }
  if (!follow || z.ended || shutdown_) {
    sub->Finish();
  } else {
    z.subscribers.push_back(sub);
  }
  return sub;
}

std::string ConsoleHub::History(const std::string& zone_id) {
  std::lock_guard<std::mutex> l(mu_);
  return ZoneLocked(zone_id).history;
}

void ConsoleHub::End(const std::string& zone_id) {
  std::lock_guard<std::mutex> l(mu_);
  Zone& z = ZoneLocked(zone_id);
  z.ended = true;
  z.log.reset();
  for (auto& w : z.subscribers) {
    if (std::shared_ptr<ConsoleSubscription> s = w.lock()) s->Finish();
  }
  z.subscribers.clear();
}

void ConsoleHub::Reopen(const std::string& zone_id) {
  std::lock_guard<std::mutex> l(mu_);
  ZoneLocked(zone_id).ended = false;
}

void ConsoleHub::Remove(const std::string& zone_id) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = zones_.find(zone_id);
  if (it != zones_.end()) {
    for (auto& w : it->second.subscribers) {
      if (std::shared_ptr<ConsoleSubscription> s = w.lock()) s->Finish();
    }
    zones_.erase(it);
  }
  if (!options_.log_dir.empty()) {
    ::unlink(LogPath(zone_id).c_str());
    ::unlink((LogPath(zone_id) + ".1").c_str());
  }
}

void ConsoleHub::Shutdown() {
  std::lock_guard<std::mutex> l(mu_);
  shutdown_ = true;
  for (auto& [id, z] : zones_) {
    for (auto& w : z.subscribers) {
      if (std::shared_ptr<ConsoleSubscription> s = w.lock()) s->Finish();
    }
    z.subscribers.clear();
  }
}

}  // namespace krata::daemon
