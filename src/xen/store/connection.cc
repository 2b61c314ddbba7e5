#include "xen/store/connection.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "base/eintr.h"

namespace krata::xen::store {
namespace {

constexpr std::string_view kOp = "xenstore";

UniqueFd MakeEventFd(int flags) {
  int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | flags);
  if (fd < 0) {
    std::perror("xenstore: eventfd");
    std::abort();  // fd exhaustion while setting up: not recoverable here
  }
  return UniqueFd(fd);
}

void Signal(int fd) {
  uint64_t one = 1;
  // Cannot fail short of a counter overflow at 2^64-2 signals.
  (void)RetryEintr([&] { return ::write(fd, &one, sizeof one); });
}

void Consume(int fd) {
  uint64_t v;
  (void)RetryEintr([&] { return ::read(fd, &v, sizeof v); });  // semaphore mode: takes 1
}

}  // namespace

XsConnection::XsConnection(std::unique_ptr<Transport> transport)
    : transport_(std::move(transport)),
      stop_fd_(MakeEventFd(0)),
      watch_fd_(MakeEventFd(EFD_SEMAPHORE)),
      reader_([this] { ReaderLoop(); }) {}

XsConnection::~XsConnection() {
  Signal(stop_fd_.get());
  reader_.join();
}

uint32_t XsConnection::AllocReqIdLocked() {
  // req_id 0 is what watch events carry; skip it and ids still outstanding after a wrap.
  for (;;) {
    uint32_t id = next_req_id_++;
    if (id != 0 && pending_.count(id) == 0) return id;
  }
}

Result<std::string> XsConnection::Call(XsType type, std::string_view payload, uint32_t tx_id) {
  std::unique_lock lock(mu_);
  if (error_) return *error_;
  uint32_t req_id = AllocReqIdLocked();
  pending_.emplace(req_id, std::nullopt);
  lock.unlock();

  Result<std::string> wire = Encode(XsMessage{type, req_id, tx_id, std::string(payload)});
  if (!wire.has_value()) {
    lock.lock();
    pending_.erase(req_id);
    return std::move(wire.error());
  }

  Status sent;
  {
    std::lock_guard write_lock(write_mu_);
    sent = transport_->Write(*wire);
  }
  lock.lock();
  if (!sent.has_value()) {
    // A partial write leaves the stream out of frame: nothing more can be sent on it.
    pending_.erase(req_id);
    FailLocked(sent.error());
    return std::move(sent.error());
  }
  auto it = pending_.find(req_id);
  replies_cv_.wait(lock, [&] { return it->second.has_value() || error_.has_value(); });
  if (!it->second.has_value()) {
    pending_.erase(it);
    return *error_;
  }
  XsMessage reply = std::move(*it->second);
  pending_.erase(it);
  lock.unlock();

  if (reply.type == XsType::kError) {
    return Error::FromErrno(kOp, ErrnoFromXsError(reply.payload));
  }
  if (reply.type != type) {
    return Error::Invalid(kOp, "reply type " + std::to_string(static_cast<uint32_t>(reply.type)) +
                                   " to request type " +
                                   std::to_string(static_cast<uint32_t>(type)));
  }
  return std::move(reply.payload);
}

Result<std::optional<WatchEvent>> XsConnection::WaitWatchEvent(
    std::optional<std::chrono::milliseconds> timeout) {
  std::unique_lock lock(mu_);
  auto ready = [&] { return !events_.empty() || error_.has_value(); };
  if (timeout) {
    if (!events_cv_.wait_for(lock, *timeout, ready)) return std::optional<WatchEvent>();
  } else {
    events_cv_.wait(lock, ready);
  }
  if (events_.empty()) return *error_;
  WatchEvent ev = std::move(events_.front());
  events_.pop_front();
  Consume(watch_fd_.get());
  return std::optional<WatchEvent>(std::move(ev));
}

uint64_t XsConnection::dropped_watch_events() const {
  std::lock_guard lock(mu_);
  return dropped_events_;
}

std::optional<Error> XsConnection::failure() const {
  std::lock_guard lock(mu_);
  return error_;
}

void XsConnection::FailLocked(Error e) {
  if (error_) return;
  error_ = std::move(e);
  Signal(watch_fd_.get());  // never consumed: the fd stays readable from now on
  replies_cv_.notify_all();
  events_cv_.notify_all();
}

bool XsConnection::Dispatch(XsMessage msg) {
  if (msg.type == XsType::kWatchEvent) {
    Result<WatchEvent> ev = ParseWatchEvent(msg.payload);
    if (!ev.has_value()) {
      FailLocked(std::move(ev.error()).With("malformed watch event from xenstored"));
      return false;
    }
    if (events_.size() >= kMaxQueuedWatchEvents) {
      ++dropped_events_;
      return true;
    }
    events_.push_back(std::move(*ev));
    Signal(watch_fd_.get());
    events_cv_.notify_one();
    return true;
  }
  auto it = pending_.find(msg.req_id);
  if (it == pending_.end() || it->second.has_value()) {
    FailLocked(Error::Invalid(kOp, "reply for unknown request " + std::to_string(msg.req_id)));
    return false;
  }
  it->second = std::move(msg);
  replies_cv_.notify_all();
  return true;
}

void XsConnection::ReaderLoop() {
  XsDecoder decoder;
  char buf[4096];
  pollfd fds[2] = {{transport_->PollFd(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
  for (;;) {
    int rc = RetryEintr([&] { return ::poll(fds, 2, -1); });
    if (rc < 0) {
      int err = errno;
      std::lock_guard lock(mu_);
      FailLocked(Error::FromErrno("poll", err, "xenstore connection"));
      return;
    }
    if (fds[1].revents != 0) {
      std::lock_guard lock(mu_);
      FailLocked(Error::FromErrno(kOp, ESHUTDOWN, "xenstore client closed"));
      return;
    }
    if (fds[0].revents == 0) continue;
    if ((fds[0].revents & POLLNVAL) != 0) {
      std::lock_guard lock(mu_);
      FailLocked(Error::FromErrno("poll", EBADF, "xenstore connection"));
      return;
    }
    Result<size_t> n = transport_->ReadSome(buf, sizeof buf);
    if (!n.has_value() || *n == 0) {
      std::lock_guard lock(mu_);
      FailLocked(n.has_value() ? Error::FromErrno(kOp, ECONNRESET, "xenstored closed the connection")
                               : std::move(n.error()));
      return;
    }
    decoder.Feed({reinterpret_cast<const std::byte*>(buf), *n});
    std::lock_guard lock(mu_);
    for (;;) {
      Result<std::optional<XsMessage>> next = decoder.Next();
      if (!next.has_value()) {
        FailLocked(std::move(next.error()));
        return;
      }
      if (!next->has_value()) break;
      if (!Dispatch(std::move(**next))) return;
    }
  }
}

}  // namespace krata::xen::store
