#include "net/kratanet/update_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "base/eintr.h"

namespace krata::net::kratanet {

Result<std::unique_ptr<UpdateQueue>> UpdateQueue::Create() {
  UniqueFd fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) return Error::FromErrno("eventfd", errno);
  return std::unique_ptr<UpdateQueue>(new UpdateQueue(std::move(fd)));
}

void UpdateQueue::Push(ZoneUpdate update) {
  {
    std::lock_guard lock(mu_);
    updates_.push_back(std::move(update));
  }
  uint64_t one = 1;
  // Only fails when the counter would overflow, and then the fd is readable anyway.
  (void)RetryEintr([&] { return ::write(event_.get(), &one, sizeof(one)); });
}

std::vector<ZoneUpdate> UpdateQueue::Drain() {
  uint64_t count = 0;
  // Reset before taking the queue: a Push after the swap raises the fd again.
  (void)RetryEintr([&] { return ::read(event_.get(), &count, sizeof(count)); });
  std::lock_guard lock(mu_);
  std::vector<ZoneUpdate> out;
  out.swap(updates_);
  return out;
}

}  // namespace krata::net::kratanet
