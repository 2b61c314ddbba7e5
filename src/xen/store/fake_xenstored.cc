#include "xen/store/fake_xenstored.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "base/file.h"

namespace krata::xen::store {
namespace {

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

XsMessage ErrorReply(const XsMessage& req, const char* name) {
  return {XsType::kError, req.req_id, req.tx_id, std::string(name) + '\0'};
}

}  // namespace

FakeXenstored::FakeXenstored() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  server_.reset(fds[0]);
  client_.reset(fds[1]);
  tree_["/"] = "";
  thread_ = std::thread([this] { Serve(); });
}

FakeXenstored::~FakeXenstored() {
  ::shutdown(server_.get(), SHUT_RDWR);
  thread_.join();
}

std::unique_ptr<Transport> FakeXenstored::TakeClientTransport() {
  return std::make_unique<FdTransport>(std::move(client_), true);
}

void FakeXenstored::Set(const std::string& path, const std::string& value) {
  std::lock_guard lock(mu_);
  SetLocked(path, value);
}

bool FakeXenstored::Has(const std::string& path) {
  std::lock_guard lock(mu_);
  return tree_.count(path) != 0;
}

void FakeXenstored::InjectRaw(const std::string& bytes) { (void)SendAll(server_.get(), bytes); }

void FakeXenstored::SetLocked(const std::string& path, const std::string& value) {
  // Like xenstored, writing a node creates its missing parents with empty values.
  for (std::string p = Parent(path); tree_.count(p) == 0; p = Parent(p)) tree_[p] = "";
  tree_[path] = value;
}

void FakeXenstored::Serve() {
  XsDecoder decoder;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(server_.get(), buf, sizeof buf);
    if (n <= 0) return;
    decoder.Feed({reinterpret_cast<const std::byte*>(buf), static_cast<size_t>(n)});
    for (;;) {
      Result<std::optional<XsMessage>> next = decoder.Next();
      if (!next.has_value() || !next->has_value()) break;
      XsMessage reply;
      {
        std::lock_guard lock(mu_);
        reply = Handle(**next);
      }
      Result<std::string> wire = Encode(reply);
      if (!wire.has_value() || !SendAll(server_.get(), *wire).has_value()) return;
    }
  }
}

XsMessage FakeXenstored::Handle(const XsMessage& req) {
  std::vector<std::string> parts = SplitNul(req.payload);
  std::string path = parts.empty() ? "" : parts[0];
  if (path.empty() || path[0] != '/') return ErrorReply(req, "EINVAL");
  XsMessage ok{req.type, req.req_id, req.tx_id, std::string("OK") + '\0'};
  switch (req.type) {
    case XsType::kRead: {
      auto it = tree_.find(path);
      if (it == tree_.end()) return ErrorReply(req, "ENOENT");
      return {req.type, req.req_id, req.tx_id, it->second};
    }
    case XsType::kWrite:
      SetLocked(path, req.payload.substr(path.size() + 1));
      return ok;
    case XsType::kMkdir:
      if (tree_.count(path) == 0) SetLocked(path, "");
      return ok;
    case XsType::kRm: {
      if (tree_.count(path) == 0) return ErrorReply(req, "ENOENT");
      std::string prefix = path + "/";
      for (auto it = tree_.begin(); it != tree_.end();) {
        if (it->first == path || it->first.rfind(prefix, 0) == 0) {
          it = tree_.erase(it);
        } else {
          ++it;
        }
      }
      return ok;
    }
    case XsType::kDirectory: {
      if (tree_.count(path) == 0) return ErrorReply(req, "ENOENT");
      std::string prefix = path == "/" ? "/" : path + "/";
      std::string out;
      for (const auto& [k, v] : tree_) {
        if (k.size() > prefix.size() && k.rfind(prefix, 0) == 0 &&
            k.find('/', prefix.size()) == std::string::npos) {
          out += k.substr(prefix.size());
          out.push_back('\0');
        }
      }
      return {req.type, req.req_id, req.tx_id, out};
    }
    default:
      return ErrorReply(req, "ENOSYS");
  }
}

}  // namespace krata::xen::store
