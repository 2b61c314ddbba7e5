// The kratactl binary against a kratad running in this process on FakeRuntime: exit codes,
// output and errors as a user sees them. FakeRuntime's scripted guest (fake_runtime.h) turns
// the launch command ["exit", "N"] / ["kill", "N"] / ["fail", MSG] into the zone's fate.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ctl/host_network.h"
#include "daemon/daemon.h"
#include "daemon/fake_image_service.h"
#include "runtime/fake_runtime.h"

extern char** environ;

namespace krata::ctl {
namespace {

constexpr char kDigest[] =
    "sha256:2222222222222222222222222222222222222222222222222222222222222222";

struct CtlRun {
  int code = -1;
  std::string out;
  std::string err;
};

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class CtlDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kratactl-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    zone::ImageProcess process;
    process.cmd = {"/bin/sh"};
    images_.Add("alpine:latest", kDigest, process);
    daemon::DaemonOptions o;
    o.store_dir = dir_ + "/store";
    o.zones.assets = {.kernel_path = "/k", .initrd_path = "/i"};
    o.zones.shutdown_grace_ms = 50;
    o.zones.destroy_margin = std::chrono::milliseconds(50);
    daemon_ = MUST(daemon::Daemon::Start(o, runtime_, &images_));
    connection_ = "unix://" + dir_ + "/store/daemon.socket";
  }
  void TearDown() override {
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Runs kratactl with stdin from /dev/null, as a script would.
  CtlRun Kratactl(std::vector<std::string> args, bool with_connection = true) {
    if (with_connection) args.insert(args.begin(), {"--connection", connection_});
    args.insert(args.begin(), KRATACTL_BINARY);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string out = dir_ + "/out", err = dir_ + "/err";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = 0;
    CtlRun r;
    int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      ADD_FAILURE() << "spawn: " << rc;
      return r;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
    r.out = Slurp(out);
    r.err = Slurp(err);
    return r;
  }

  std::string dir_;
  std::string connection_;
  runtime::FakeRuntime runtime_;
  daemon::FakeImageService images_;
  std::unique_ptr<daemon::Daemon> daemon_;
};

TEST_F(CtlDaemonTest, LaunchAttachExitsWithTheWorkloadsCode) {
  CtlRun r = Kratactl({"zone", "launch", "--attach", "alpine:latest", "--", "exit", "42"});
  EXPECT_EQ(r.code, 42) << r.err;
  EXPECT_EQ(r.out, "fake: exit 42\n");  // the console, replayed from the start
}

TEST_F(CtlDaemonTest, LaunchAttachReportsSignalDeath) {
  CtlRun r = Kratactl({"zone", "launch", "-a", "alpine:latest", "--", "kill", "9"});
  EXPECT_EQ(r.code, 128 + 9);
  EXPECT_NE(r.err.find("zone killed by signal 9 (SIGKILL)"), std::string::npos) << r.err;
}

TEST_F(CtlDaemonTest, LaunchWaitReportsFailure) {
  CtlRun r = Kratactl({"zone", "launch", "--wait", "alpine:latest", "--", "fail", "no", "memory"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("zone failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no memory"), std::string::npos) << r.err;

  CtlRun w = Kratactl({"zone", "launch", "-W", "alpine:latest", "--", "exit", "3"});
  EXPECT_EQ(w.code, 3) << w.err;
  EXPECT_EQ(w.out, "");
}

TEST_F(CtlDaemonTest, LaunchListDestroy) {
  CtlRun r = Kratactl({"zone", "launch", "-n", "web", "-e", "A=1", "-w", "/srv", "-u", "nobody",
                       "-m", "300", "-c", "2", "alpine:latest", "--", "/bin/server", "-p", "80"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string id = r.out.substr(0, r.out.size() - 1);
  ASSERT_EQ(id.size(), 36u) << r.out;
  ASSERT_TRUE(runtime_.WaitForCall("launch " + id, std::chrono::seconds(10)));
  std::optional<runtime::LaunchRequest> req = runtime_.LastLaunch(id);
  ASSERT_TRUE(req.has_value());
  EXPECT_EQ(req->config.process.args, (std::vector<std::string>{"/bin/server", "-p", "80"}));
  EXPECT_EQ(req->config.process.env, std::vector<std::string>{"A=1"});
  EXPECT_EQ(req->config.process.working_dir, "/srv");
  EXPECT_EQ(req->config.process.user, "nobody");
  EXPECT_EQ(req->memory_mib, 300u);
  EXPECT_EQ(req->vcpus, 2u);

  CtlRun dup = Kratactl({"zone", "launch", "-n", "web", "alpine:latest"});
  EXPECT_EQ(dup.code, 1);
  EXPECT_NE(dup.err.find("already exists"), std::string::npos) << dup.err;

  CtlRun list = Kratactl({"zone", "list"});
  EXPECT_EQ(list.code, 0);
  EXPECT_NE(list.out.find("web"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find(id), std::string::npos) << list.out;
  CtlRun json = Kratactl({"zone", "list", "--format", "json"});
  EXPECT_NE(json.out.find("\"id\": \"" + id + "\""), std::string::npos) << json.out;

  CtlRun destroy = Kratactl({"zone", "destroy", "--wait", "web"});
  EXPECT_EQ(destroy.code, 0) << destroy.err;
  EXPECT_FALSE(runtime_.HasDomain(id));
  EXPECT_EQ(Kratactl({"zone", "list"}).out, "no zones\n");
  CtlRun missing = Kratactl({"zone", "destroy", "web"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("no zone named \"web\""), std::string::npos) << missing.err;
}

TEST_F(CtlDaemonTest, LaunchWithPortsAndListShowsAddresses) {
  CtlRun r = Kratactl({"zone", "launch", "-n", "web", "-p", "8080:80", "--port", "5353:53/udp",
                       "alpine:latest", "--", "/bin/server"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string id = r.out.substr(0, r.out.size() - 1);
  ASSERT_TRUE(runtime_.WaitForCall("launch " + id, std::chrono::seconds(10)));
  std::optional<runtime::LaunchRequest> req = runtime_.LastLaunch(id);
  ASSERT_TRUE(req.has_value());
  ASSERT_TRUE(req->config.network.has_value());
  EXPECT_EQ(req->config.network->ipv4, "10.75.0.3/16");

  Result<Connection> conn = Connect(connection_);
  ASSERT_TRUE(conn.has_value());
  grpc::ClientContext ctx;
  v1::control::GetZoneRequest get;
  get.set_zone_id(id);
  v1::control::GetZoneReply zone;
  ASSERT_TRUE(conn->stub->GetZone(&ctx, get, &zone).ok());
  ASSERT_EQ(zone.zone().spec().ports_size(), 2);
  EXPECT_EQ(zone.zone().spec().ports(0).host_port(), 8080u);
  EXPECT_EQ(zone.zone().spec().ports(0).zone_port(), 80u);
  EXPECT_EQ(zone.zone().spec().ports(1).protocol(), v1::common::PORT_PROTOCOL_UDP);

  CtlRun list = Kratactl({"zone", "list"});
  EXPECT_EQ(list.code, 0);
  EXPECT_NE(list.out.find("IPV4"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("IPV6"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find(" 10.75.0.3 "), std::string::npos) << list.out;
  EXPECT_NE(list.out.find(" fdd4:1476:6c7e::3 "), std::string::npos) << list.out;

  // The same host port again is refused by kratad; a malformed one by kratactl's argument
  // parsing (a usage error, CLI11's exit code), before it even connects.
  CtlRun taken = Kratactl({"zone", "launch", "-p", "8080:81", "alpine:latest"});
  EXPECT_EQ(taken.code, 1);
  EXPECT_NE(taken.err.find("already exists"), std::string::npos) << taken.err;
  EXPECT_NE(taken.err.find("8080/tcp"), std::string::npos) << taken.err;
  CtlRun bad = Kratactl({"zone", "launch", "-p", "8080", "alpine:latest"});
  EXPECT_EQ(bad.code, 105);  // CLI::ExitCodes::ValidationError
  EXPECT_NE(bad.err.find("-p 8080: expected HOSTPORT:ZONEPORT[/tcp|/udp]"), std::string::npos)
      << bad.err;
  EXPECT_EQ(MUST(daemon_->zones().List()).size(), 1u);

  // What `host status` adds when kratad answers (the Xen half needs dom0).
  Result<v1::control::GetHostStatusReply> host = QueryDaemonHost(*conn);
  ASSERT_TRUE(host.has_value()) << host.error().ToString();
  EXPECT_NE(FormatNetworkText(*host).find("10.75.0.0/16 fdd4:1476:6c7e::/48"), std::string::npos);
  EXPECT_EQ(host->gateway_ipv4(), "10.75.0.1");
}

TEST_F(CtlDaemonTest, LogsReplayTheConsole) {
  CtlRun r = Kratactl({"zone", "launch", "-n", "job", "-W", "alpine:latest", "--", "exit", "0"});
  ASSERT_EQ(r.code, 0) << r.err;
  CtlRun logs = Kratactl({"zone", "logs", "job"});
  EXPECT_EQ(logs.code, 0) << logs.err;
  EXPECT_EQ(logs.out, "fake: exit 0\n");
}

// Reads the pty master until `needle` shows up (or 10 s pass); returns what was read.
std::string ReadUntil(int fd, std::string_view needle) {
  std::string seen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (seen.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
  }
  return seen;
}

TEST_F(CtlDaemonTest, AttachOnATerminalIsRawAndCtrlBracketDetaches) {
  CtlRun r = Kratactl({"zone", "launch", "-n", "shell", "alpine:latest", "--", "/bin/sh"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string id = r.out.substr(0, r.out.size() - 1);
  ASSERT_TRUE(runtime_.WaitForCall("launch " + id, std::chrono::seconds(10)));
  runtime_.EmitConsole(id, "prompt$ ");

  int master = -1, slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  std::vector<std::string> args = {KRATACTL_BINARY, "--connection", connection_,
                                   "zone",          "attach",       "shell"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (int fd = 0; fd < 3; ++fd) posix_spawn_file_actions_adddup2(&fa, slave, fd);
  posix_spawn_file_actions_addclose(&fa, master);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);

  EXPECT_NE(ReadUntil(master, "prompt$ ").find("prompt$ "), std::string::npos);
  termios mode{};
  ASSERT_EQ(::tcgetattr(slave, &mode), 0);
  EXPECT_EQ(mode.c_lflag & ICANON, 0u);  // raw while attached
  ASSERT_EQ(::write(master, "ls\n", 3), 3);
  EXPECT_TRUE(runtime_.WaitForConsoleInput(id, "ls\n", std::chrono::seconds(10)));
  ASSERT_EQ(::write(master, "\x1d", 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_EQ(::tcgetattr(slave, &mode), 0);
  EXPECT_NE(mode.c_lflag & ICANON, 0u);  // restored
  EXPECT_TRUE(runtime_.HasDomain(id));   // detaching leaves the zone running
  EXPECT_EQ(runtime_.ConsoleInput(id), "ls\n");
  ::close(master);
  ::close(slave);
}

TEST_F(CtlDaemonTest, ImagePullPrintsTheDigest) {
  CtlRun r = Kratactl({"image", "pull", "alpine:latest"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kDigest) + "\n");
}

TEST_F(CtlDaemonTest, NoDaemonIsAClearError) {
  CtlRun r =
      Kratactl({"--connection", "unix://" + dir_ + "/nothing.socket", "zone", "list"}, false);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot reach kratad at unix://" + dir_ + "/nothing.socket: is it running?"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace krata::ctl
