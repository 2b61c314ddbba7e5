#include "oci/fake_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "base/file.h"

namespace krata::oci {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 307:
      return "Temporary Redirect";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

FakeHttpServer::FakeHttpServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("FakeHttpServer");
    std::abort();
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FakeHttpServer::~FakeHttpServer() {
  ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept() with an error
  thread_.join();
  ::close(listen_fd_);
}

std::vector<FakeRequest> FakeHttpServer::requests() {
  std::lock_guard lock(mu_);
  return requests_;
}

void FakeHttpServer::Serve() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;
    }
    HandleConnection(fd);
    ::close(fd);
  }
}

void FakeHttpServer::HandleConnection(int fd) {
  std::string in;
  char buf[4096];
  while (in.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return;
    // A TLS ClientHello (the https probe of --tls-verify=false): hang up like a plain
    // HTTP server that cannot speak TLS.
    if (in.empty() && buf[0] == 0x16) return;
    in.append(buf, static_cast<size_t>(n));
  }
  FakeRequest req;
  size_t line_end = in.find("\r\n");
  std::string line = in.substr(0, line_end);
  size_t sp1 = line.find(' ');
  size_t sp2 = line.find(' ', sp1 + 1);
  req.method = line.substr(0, sp1);
  req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t pos = line_end + 2;
  while (pos < in.size()) {
    size_t end = in.find("\r\n", pos);
    if (end == pos || end == std::string::npos) break;
    std::string h = in.substr(pos, end - pos);
    size_t colon = h.find(':');
    if (colon != std::string::npos) {
      size_t v = h.find_first_not_of(' ', colon + 1);
      req.headers[Lower(h.substr(0, colon))] = v == std::string::npos ? "" : h.substr(v);
    }
    pos = end + 2;
  }
  {
    std::lock_guard lock(mu_);
    requests_.push_back(req);
  }
  FakeResponse resp = handler_(req);
  std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " " + Reason(resp.status) +
                    "\r\nContent-Length: " + std::to_string(resp.body.size()) +
                    "\r\nConnection: close\r\n";
  for (const auto& [name, value] : resp.headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  if (req.method != "HEAD") out += resp.body;
  (void)SendAll(fd, out);  // the client may hang up early (size checks); that is fine
}

}  // namespace krata::oci
