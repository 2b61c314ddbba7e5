// The unix-socket transport against a minimal server speaking the wire protocol, and the
// $XENSTORED_PATH override of ConnectDefault.

#include "xen/store/transport.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "base/file.h"
#include "xen/store/client.h"

namespace krata::xen::store {
namespace {

// A one-connection server answering every request with READ "pong" (enough to prove the
// framing crosses a real unix socket).
class PongServer {
 public:
  PongServer() {
    char tmpl[] = "/tmp/xs-transport-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/socket";
    listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    EXPECT_EQ(::bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_.get(), 1), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~PongServer() {
    ::shutdown(listen_.get(), SHUT_RDWR);
    thread_.join();
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  void Serve() {
    UniqueFd conn(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) return;
    XsDecoder dec;
    char buf[512];
    for (;;) {
      ssize_t n = ::read(conn.get(), buf, sizeof buf);
      if (n <= 0) return;
      dec.Feed({reinterpret_cast<const std::byte*>(buf), static_cast<size_t>(n)});
      for (;;) {
        Result<std::optional<XsMessage>> m = dec.Next();
        if (!m.has_value() || !m->has_value()) break;
        XsMessage reply{(*m)->type, (*m)->req_id, (*m)->tx_id, "pong"};
        if (!SendAll(conn.get(), *Encode(reply)).has_value()) return;
      }
    }
  }

  std::string dir_;
  std::string path_;
  UniqueFd listen_;
  std::thread thread_;
};

TEST(XsTransportTest, UnixSocketCarriesTheProtocol) {
  PongServer server;
  Result<std::unique_ptr<Transport>> t = ConnectUnixSocket(server.path());
  ASSERT_TRUE(t.has_value()) << t.error().ToString();
  XsClient c(std::move(*t));
  Result<std::string> r = c.Read("/ping");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(*r, "pong");
}

TEST(XsTransportTest, ConnectDefaultHonoursXenstoredPath) {
  PongServer server;
  ASSERT_EQ(::setenv("XENSTORED_PATH", server.path().c_str(), 1), 0);
  Result<XsClient> c = XsClient::ConnectDefault();
  ::unsetenv("XENSTORED_PATH");
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(*c->Read("/ping"), "pong");
}

TEST(XsTransportTest, ConnectErrors) {
  Result<std::unique_ptr<Transport>> missing = ConnectUnixSocket("/nonexistent/xenstored/sock");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().errno_value(), ENOENT);
  EXPECT_FALSE(ConnectUnixSocket("/" + std::string(200, 'a')).has_value());
  EXPECT_FALSE(OpenXenbus("/nonexistent/xenbus").has_value());
}

}  // namespace
}  // namespace krata::xen::store
