// FakeXenstored plumbing: connections, their threads, sending, watch firing and test hooks.
// The operations themselves are in fake_xenstored_ops.cc.

#include "xen/store/fake_xenstored.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "base/eintr.h"
#include "base/file.h"
#include "xen/store/payload.h"

namespace krata::xen::store {
namespace {

// xenstore.txt: <child> is a child of <parent> if they are equal, if <parent> is "/", or if
// "<parent>/" is a prefix of <child>.
bool IsChildOf(const std::string& child, const std::string& parent) {
  if (child == parent) return true;
  if (parent == "/") return !child.empty() && child[0] == '/';
  return child.size() > parent.size() && child.compare(0, parent.size(), parent) == 0 &&
         child[parent.size()] == '/';
}

}  // namespace

FakeXenstored::FakeXenstored() { tree_["/"] = Node{"", {Perm{0, Access::kNone}}}; }

FakeXenstored::~FakeXenstored() {
  std::vector<Conn*> conns;
  {
    std::lock_guard lock(mu_);
    for (auto& c : conns_) {
      ::shutdown(c->server.get(), SHUT_RDWR);
      conns.push_back(c.get());
    }
  }
  for (Conn* c : conns) c->thread.join();
}

std::unique_ptr<Transport> FakeXenstored::TakeClientTransport() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  std::lock_guard lock(mu_);
  auto conn = std::make_unique<Conn>();
  conn->server.reset(fds[0]);
  Conn* raw = conn.get();
  conns_.push_back(std::move(conn));
  raw->thread = std::thread([this, raw] { Serve(raw); });
  return std::make_unique<FdTransport>(UniqueFd(fds[1]), true);
}

void FakeXenstored::Set(const std::string& path, const std::string& value) {
  std::lock_guard lock(mu_);
  WriteNode(tree_, path, value);
  ChangedLocked(nullptr, path, false);
}

bool FakeXenstored::Has(const std::string& path) {
  std::lock_guard lock(mu_);
  return tree_.count(path) != 0;
}

std::optional<std::string> FakeXenstored::Get(const std::string& path) {
  std::lock_guard lock(mu_);
  auto it = tree_.find(path);
  if (it == tree_.end()) return std::nullopt;
  return it->second.value;
}

std::vector<Perm> FakeXenstored::GetPerms(const std::string& path) {
  std::lock_guard lock(mu_);
  auto it = tree_.find(path);
  return it == tree_.end() ? std::vector<Perm>() : it->second.perms;
}

std::optional<FakeXenstored::IntroducedDomain> FakeXenstored::Introduced(uint16_t domid) {
  std::lock_guard lock(mu_);
  auto it = introduced_.find(domid);
  if (it == introduced_.end()) return std::nullopt;
  return it->second;
}

size_t FakeXenstored::open_transactions() {
  std::lock_guard lock(mu_);
  return transactions_.size();
}

size_t FakeXenstored::watch_count() {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& c : conns_) n += c->watches.size();
  return n;
}

void FakeXenstored::InjectRaw(const std::string& bytes) {
  std::lock_guard lock(mu_);
  if (!conns_.empty()) (void)SendAll(conns_.back()->server.get(), bytes);
}

void FakeXenstored::ReplaceNextReply(std::function<std::string(const XsMessage&)> make) {
  std::lock_guard lock(mu_);
  replace_next_ = std::move(make);
}

void FakeXenstored::CloseConnections() {
  std::lock_guard lock(mu_);
  for (auto& c : conns_) ::shutdown(c->server.get(), SHUT_RDWR);
}

void FakeXenstored::Serve(Conn* conn) {
  XsDecoder decoder;
  char buf[4096];
  for (;;) {
    ssize_t n = RetryEintr([&] { return ::read(conn->server.get(), buf, sizeof buf); });
    if (n <= 0) return;
    decoder.Feed({reinterpret_cast<const std::byte*>(buf), static_cast<size_t>(n)});
    for (;;) {
      Result<std::optional<XsMessage>> next = decoder.Next();
      if (!next.has_value()) {
        // Like xenstored: a client breaking the framing loses its connection.
        ::shutdown(conn->server.get(), SHUT_RDWR);
        return;
      }
      if (!next->has_value()) break;
      std::lock_guard lock(mu_);
      HandleLocked(conn, **next);
    }
  }
}

void FakeXenstored::SendLocked(Conn* conn, const XsMessage& msg) {
  Result<std::string> wire = Encode(msg);
  // A client that went away is not the fake's problem: drop what cannot be sent.
  if (wire.has_value()) (void)SendAll(conn->server.get(), *wire);
}

void FakeXenstored::ChangedLocked(Transaction* tx, const std::string& path, bool removed) {
  if (tx != nullptr) {
    tx->changed.push_back(removed ? "!" + path : path);
    return;
  }
  ++generation_;
  FireLocked(path, removed);
}

void FakeXenstored::FireLocked(const std::string& path, bool removed) {
  for (auto& c : conns_) {
    for (const WatchReg& w : c->watches) {
      if (IsChildOf(path, w.path)) {
        SendLocked(c.get(), {XsType::kWatchEvent, 0, 0, TwoStrings(path, w.token)});
      } else if (removed && IsChildOf(w.path, path)) {
        // The recursive removal of a parent reports the watched path itself.
        SendLocked(c.get(), {XsType::kWatchEvent, 0, 0, TwoStrings(w.path, w.token)});
      }
    }
  }
}

void FakeXenstored::HandleLocked(Conn* conn, const XsMessage& req) {
  XsMessage reply = ExecuteLocked(conn, req);
  if (replace_next_) {
    std::string raw = std::exchange(replace_next_, nullptr)(req);
    (void)SendAll(conn->server.get(), raw);
  } else {
    SendLocked(conn, reply);
  }
  // WATCH: xenstored acknowledges, then fires the new watch once.
  if (req.type == XsType::kWatch && reply.type == XsType::kWatch) {
    Result<WatchEvent> w = ParseWatchEvent(req.payload);
    if (w.has_value()) SendLocked(conn, {XsType::kWatchEvent, 0, 0, FormatWatchEvent(*w)});
  }
}

}  // namespace krata::xen::store
