#include "ctl/console.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <thread>

#include "base/eintr.h"
#include "base/file.h"
#include "base/unique_handle.h"

namespace krata::ctl {
namespace {

namespace control = v1::control;

// Raw mode on stdin while alive, when stdin is a terminal.
class RawTerminal {
 public:
  RawTerminal() {
    if (::isatty(STDIN_FILENO) == 0 || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  bool active() const { return active_; }

 private:
  termios saved_{};
  bool active_ = false;
};

}  // namespace

Result<AttachEnd> AttachConsole(Connection& conn, const std::string& zone_id, bool replay) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Error::FromErrno("pipe2", errno);
  UniqueFd stop_read(pipe_fds[0]), stop_write(pipe_fds[1]);

  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReaderWriter<control::ZoneConsoleRequest, control::ZoneConsoleReply>>
      stream = conn.stub->AttachZoneConsole(&ctx);
  control::ZoneConsoleRequest first;
  first.set_zone_id(zone_id);
  first.set_replay_history(replay);
  stream->Write(first);

  RawTerminal terminal;
  std::mutex write_mu;
  bool writes_done = false;  // under write_mu
  std::atomic<bool> detached = false;
  auto close_writes = [&] {
    std::lock_guard<std::mutex> l(write_mu);
    if (!writes_done) stream->WritesDone();
    writes_done = true;
  };
  std::thread input([&] {
    char buf[4096];
    for (;;) {
      pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN, .revents = 0},
                       {.fd = stop_read.get(), .events = POLLIN, .revents = 0}};
      if (RetryEintr([&] { return ::poll(fds, 2, -1); }) < 0 || fds[1].revents != 0) return;
      ssize_t n = RetryEintr([&] { return ::read(STDIN_FILENO, buf, sizeof(buf)); });
      if (n <= 0) {
        close_writes();
        return;
      }
      size_t len = static_cast<size_t>(n);
      if (terminal.active()) {
        for (size_t i = 0; i < len; ++i) {
          if (buf[i] == kDetachByte) {
            len = i;
            detached = true;
            break;
          }
        }
      }
      if (len > 0) {
        std::lock_guard<std::mutex> l(write_mu);
        if (writes_done) return;
        control::ZoneConsoleRequest req;
        req.set_data(std::string(buf, len));
        if (!stream->Write(req)) return;
      }
      if (detached) {
        ctx.TryCancel();
        return;
      }
    }
  });

  control::ZoneConsoleReply reply;
  Status out_status;
  while (stream->Read(&reply)) {
    if (!reply.data().empty() && out_status.has_value()) {
      out_status = WriteAll(STDOUT_FILENO, reply.data());
    }
    if (reply.eof()) close_writes();
  }
  char stop = 'x';
  (void)RetryEintr([&] { return ::write(stop_write.get(), &stop, 1); });
  input.join();
  grpc::Status st = stream->Finish();
  if (detached) return AttachEnd::kDetached;
  if (!st.ok()) return Error::Invalid("attach", StatusText(st));
  if (!out_status.has_value()) return std::move(out_status.error());
  return AttachEnd::kZoneStopped;
}

}  // namespace krata::ctl
