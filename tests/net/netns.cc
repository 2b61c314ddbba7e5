#include "tests/net/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>

#include "base/eintr.h"
#include "base/file.h"
#include "net/netlink/rtnl.h"

extern char** environ;

namespace krata::net::testing {

namespace {

// Spawns argv with stderr (and stdout, if out_fd >= 0) redirected, waits, and returns its
// stderr on failure.
Status Spawn(const std::vector<std::string>& argv, int out_fd);

}  // namespace

Status RunCommand(const std::vector<std::string>& argv) { return Spawn(argv, -1); }

Result<std::string> RunCommandOutput(const std::vector<std::string>& argv) {
  FILE* tmp = std::tmpfile();
  if (tmp == nullptr) return Error::FromErrno("tmpfile", errno);
  Status st = Spawn(argv, fileno(tmp));
  std::string out;
  std::rewind(tmp);
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), tmp)) > 0) out.append(buf, n);
  std::fclose(tmp);
  if (!st.has_value()) return std::move(st.error());
  return out;
}

Result<Child> Child::Spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ);
  if (rc != 0) return Error::FromErrno("posix_spawnp", rc, argv[0]);
  return Child(pid);
}

Child::~Child() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status;
  (void)RetryEintr([&] { return ::waitpid(pid_, &status, 0); });
}

namespace {

Status Spawn(const std::vector<std::string>& argv, int out_fd) {
  std::string line;
  for (const std::string& a : argv) line += (line.empty() ? "" : " ") + a;
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return Error::FromErrno("pipe2", errno);
  UniqueFd rd(err_pipe[0]), wr(err_pipe[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, wr.get(), 2);
  if (out_fd >= 0) posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return Error::FromErrno("posix_spawnp", rc, line);
  wr.reset();
  std::string err;
  char buf[512];
  ssize_t n;
  while ((n = RetryEintr([&] { return ::read(rd.get(), buf, sizeof(buf)); })) > 0) {
    err.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  if (RetryEintr([&] { return ::waitpid(pid, &status, 0); }) < 0) {
    return Error::FromErrno("waitpid", errno, line);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return Error::Invalid("run",
                          line + ": exit " + std::to_string(WEXITSTATUS(status)) + ": " + err);
  }
  return {};
}

}  // namespace

Status Ip(const std::string& netns, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"ip"};
  if (!netns.empty()) argv.insert(argv.end(), {"-n", netns});
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

Status EnterNetns(const std::string& name) {
  UniqueFd fd = TRY(OpenFile("/run/netns/" + name, O_RDONLY));
  if (::setns(fd.get(), CLONE_NEWNET) != 0) return Error::FromErrno("setns", errno, name);
  return {};
}

Result<UniqueFd> SocketIn(const std::string& name, int domain, int type, int protocol) {
  return RunInNetns(name, [&]() -> Result<UniqueFd> {
    int fd = ::socket(domain, type | SOCK_CLOEXEC, protocol);
    if (fd < 0) return Error::FromErrno("socket", errno, name);
    return UniqueFd(fd);
  });
}

Status WriteSysctl(const std::string& name, const std::string& key, const std::string& value) {
  return RunInNetns(name, [&]() -> Status {
    UniqueFd fd = TRY(OpenFile("/proc/sys/" + key, O_WRONLY));
    return WriteAll(fd.get(), value);
  });
}

Result<Netns> Netns::Create(const std::string& tag) {
  std::string name = "kn-" + tag + "-" + std::to_string(::getpid());
  // A namespace left by a crashed run with the same pid would make `add` fail.
  (void)RunCommand({"ip", "netns", "del", name});
  TRY(RunCommand({"ip", "netns", "add", name}));
  Netns ns(name);
  TRY(Ip(name, {"link", "set", "lo", "up"}));
  return ns;
}

Netns::~Netns() {
  if (name_.empty()) return;
  Status st = RunCommand({"ip", "netns", "del", name_});
  if (!st.has_value()) std::fprintf(stderr, "%s\n", st.error().ToString().c_str());
}

Status AddZoneVeth(const Netns& host, const Netns& zone, const ZoneNetConfig& cfg) {
  const std::string& h = host.name();
  const std::string& z = zone.name();
  TRY(Ip(h, {"link", "add", cfg.host_ifname, "type", "veth", "peer", "name", "eth0", "netns", z}));
  TRY(WriteSysctl(h, "net/ipv6/conf/" + cfg.host_ifname + "/disable_ipv6", "1"));
  TRY(Ip(z, {"link", "set", "eth0", "address", ToString(cfg.mac), "mtu", std::to_string(cfg.mtu),
             "up"}));
  TRY(Ip(z, {"addr", "add", cfg.ip4_cidr, "dev", "eth0"}));
  TRY(Ip(z, {"addr", "add", cfg.ip6_cidr, "dev", "eth0", "nodad"}));
  TRY(Ip(z, {"route", "add", "default", "via", cfg.gateway4, "dev", "eth0"}));
  TRY(Ip(z, {"-6", "route", "add", "default", "via", cfg.gateway6, "dev", "eth0"}));
  TRY(RunInNetns(z, [] { return rtnl::DisableSegmentationOffload("eth0"); }));
  return {};
}

}  // namespace krata::net::testing
