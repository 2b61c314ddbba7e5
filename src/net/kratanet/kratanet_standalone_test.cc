// The kratanet binary end to end, as root, in two network namespaces this test creates: a
// "zone" with eth0 paired to kn0 in a "host" namespace where kratanet --standalone serves kn0.
// Checks a zone TCP connection NATed onto a host socket, a host port forwarded into the
// zone, and a clean stop on SIGTERM.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "base/unique_handle.h"
#include "net/netlink/rtnl.h"

extern char** environ;

namespace krata::net::kratanet {
namespace {

using namespace std::chrono_literals;

int Sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

// Runs fn on a thread that has joined network namespace `ns` (sockets made there stay there).
void InNetns(const std::string& ns, const std::function<void()>& fn) {
  std::thread t([&] {
    UniqueFd nsfd(::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(nsfd) << ns;
    ASSERT_EQ(::setns(nsfd.get(), CLONE_NEWNET), 0);
    fn();
  });
  t.join();
}

UniqueFd Listen(const char* ip, uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::listen(fd.get(), 4) != 0) {
    return UniqueFd();
  }
  return fd;
}

uint16_t PortOf(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

UniqueFd Connect(const char* ip, uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  timeval tv{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));  // bounds connect too
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return UniqueFd();
  return fd;
}

// Accepts one connection within 5 s; the peer's address in *peer.
UniqueFd Accept(int listener, std::string* peer) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, 5000) != 1) return UniqueFd();
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  UniqueFd c(::accept4(listener, reinterpret_cast<sockaddr*>(&a), &len, SOCK_CLOEXEC));
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof(buf));
  *peer = buf;
  timeval tv{5, 0};
  ::setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return c;
}

std::string ReadSome(int fd) {
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

class KratanetStandaloneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0 || Sh("ip -V") != 0) GTEST_SKIP() << "needs root and iproute2";
    std::string tag = "kn-t-" + std::to_string(::getpid());
    host_ = tag + "-h";
    zone_ = tag + "-z";
    log_ = "/tmp/" + tag + ".log";
    for (const std::string& c :
         {"ip netns add " + host_, "ip netns add " + zone_, "ip -n " + host_ + " link set lo up",
          "ip -n " + zone_ + " link set lo up",
          "ip -n " + host_ + " link add up0 type veth peer name up1",
          "ip -n " + host_ + " addr add 198.18.0.1/15 dev up0",
          "ip -n " + host_ + " link set up1 up", "ip -n " + host_ + " link set up0 up",
          "ip -n " + host_ + " link add kn0 type veth peer name eth0 netns " + zone_,
          "ip -n " + zone_ + " link set eth0 address 02:00:00:00:00:10",
          "ip -n " + zone_ + " addr add 10.75.0.10/16 dev eth0",
          "ip -n " + zone_ + " link set eth0 up",
          "ip -n " + zone_ + " route add default via 10.75.0.1"}) {
      ASSERT_EQ(Sh(c), 0) << c;
    }
    InNetns(zone_, [] { ASSERT_TRUE(rtnl::DisableSegmentationOffload("eth0").has_value()); });
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!host_.empty()) {
      (void)Sh("ip netns del " + host_);
      (void)Sh("ip netns del " + zone_);
      ::unlink(log_.c_str());
    }
  }
  void Start(const std::string& zone_spec) {
    std::vector<std::string> args = {"ip",
                                     "netns",
                                     "exec",
                                     host_,
                                     KRATANET_BINARY,
                                     "--standalone",
                                     "--gateway-mac",
                                     "02:00:00:00:00:01",
                                     "--gateway4",
                                     "10.75.0.1/16",
                                     "--gateway6",
                                     "fdd4::1/64",
                                     "--zone",
                                     zone_spec,
                                     "--no-host-tap",
                                     "--dns",
                                     "127.0.0.1"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_EQ(posix_spawnp(&pid_, "ip", &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    ASSERT_TRUE(WaitForLog("attached on kn0")) << Log();
  }
  std::string Log() {
    std::ifstream f(log_);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  // kratanet is another process: its log is the only way to see it is ready.
  bool WaitForLog(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (Log().find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }
  std::string host_, zone_, log_;
  pid_t pid_ = -1;
};

TEST_F(KratanetStandaloneTest, NatForwardAndCleanStop) {
  Start("kn0,02:00:00:00:00:10,10.75.0.10,fdd4::10,18080:80");

  // Zone -> host server outside the zone subnet: NATed onto a host socket.
  UniqueFd listener;
  InNetns(host_, [&] { listener = Listen("198.18.0.1", 0); });
  ASSERT_TRUE(listener);
  UniqueFd client;
  InNetns(zone_, [&] { client = Connect("198.18.0.1", PortOf(listener.get())); });
  ASSERT_TRUE(client) << Log();
  std::string peer;
  UniqueFd served = Accept(listener.get(), &peer);
  ASSERT_TRUE(served);
  EXPECT_EQ(peer, "198.18.0.1");  // the host's socket, not the zone's 10.75.0.10
  ASSERT_EQ(::write(client.get(), "hello", 5), 5);
  EXPECT_EQ(ReadSome(served.get()), "hello");
  ASSERT_EQ(::write(served.get(), "world", 5), 5);
  EXPECT_EQ(ReadSome(client.get()), "world");

  // Host port 18080 -> the zone's port 80, arriving from the gateway's address.
  UniqueFd zone_listener;
  InNetns(zone_, [&] { zone_listener = Listen("0.0.0.0", 80); });
  ASSERT_TRUE(zone_listener);
  UniqueFd host_client;
  InNetns(host_, [&] { host_client = Connect("198.18.0.1", 18080); });
  ASSERT_TRUE(host_client) << Log();
  UniqueFd zone_served = Accept(zone_listener.get(), &peer);
  ASSERT_TRUE(zone_served) << Log();
  EXPECT_EQ(peer, "10.75.0.1");
  ASSERT_EQ(::write(host_client.get(), "ping", 4), 4);
  EXPECT_EQ(ReadSome(zone_served.get()), "ping");

  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid_, &status, 0), pid_);
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << Log();
  EXPECT_NE(Log().find("detached from kn0"), std::string::npos) << Log();
}

TEST_F(KratanetStandaloneTest, RefusesABadZoneSpec) {
  int rc = Sh(std::string(KRATANET_BINARY) + " --standalone --gateway-mac 02:00:00:00:00:01" +
              " --gateway4 10.75.0.1/16 --gateway6 fdd4::1/64 --zone kn0,nonsense");
  EXPECT_NE(rc, 0);
}

}  // namespace
}  // namespace krata::net::kratanet
