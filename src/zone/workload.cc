#include "zone/workload.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/file.h"
#include "base/log.h"
#include "zone/mount_plan.h"
#include "zone/process_spec.h"
#include "zone/root_fs.h"

namespace krata::zone {
namespace {

// Reads an /etc database of the image; a missing file is an empty database.
Result<std::string> ReadDb(int root_fd, std::string_view path) {
  Result<std::string> text = ReadFileInRoot(root_fd, path, kMaxDbBytes);
  if (!text.has_value() && text.error().errno_value() == ENOENT) return std::string();
  return text;
}

[[noreturn]] void ChildFail(const char* what, const std::string& detail, int err, int code) {
  std::fprintf(stderr, "krata-zone: %s %s: %s\n", what, detail.c_str(), std::strerror(err));
  _exit(code);
}

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const std::string& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Runs in the forked child of a single-threaded PID 1, so allocation is safe here.
[[noreturn]] void ChildMain(const WorkloadSpec& spec) {
  sigset_t none;
  sigemptyset(&none);
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  if (setsid() < 0) ChildFail("setsid", "", errno, 127);
  int tty = open(spec.console.c_str(), O_RDWR);  // NOLINT(android-cloexec-open): becomes 0..2
  if (tty < 0) ChildFail("open", spec.console, errno, 127);
  for (int fd = 0; fd < 3; ++fd) {
    if (dup2(tty, fd) < 0) ChildFail("dup2", spec.console, errno, 127);
  }
  if (tty > 2) close(tty);
  if (ioctl(0, TIOCSCTTY, 1) != 0) {
    std::fprintf(stderr, "krata-zone: no controlling tty on %s: %s\n", spec.console.c_str(),
                 std::strerror(errno));
  }

  if (chroot(std::string(kNewRoot).c_str()) != 0) ChildFail("chroot", "/newroot", errno, 127);
  if (chdir("/") != 0) ChildFail("chdir", "/", errno, 127);
  Result<UniqueFd> root = OpenFile("/", O_PATH | O_DIRECTORY);
  if (!root.has_value()) ChildFail("open", "/", root.error().errno_value(), 127);
  // Created as root before dropping privileges, as docker does for a missing WorkingDir.
  Status made = MkdirAllInRoot(root->get(), spec.working_dir);
  if (!made.has_value()) ChildFail("mkdir", spec.working_dir, made.error().errno_value(), 127);
  if (chdir(spec.working_dir.c_str()) != 0) ChildFail("chdir", spec.working_dir, errno, 127);

  std::vector<gid_t> groups(spec.creds.groups.begin(), spec.creds.groups.end());
  if (setgroups(groups.size(), groups.data()) != 0) ChildFail("setgroups", "", errno, 127);
  if (setgid(spec.creds.gid) != 0) ChildFail("setgid", std::to_string(spec.creds.gid), errno, 127);
  if (setuid(spec.creds.uid) != 0) ChildFail("setuid", std::to_string(spec.creds.uid), errno, 127);

  std::string_view path = LookupEnv(spec.env, "PATH").value_or(kDefaultPath);
  Result<std::string> exe = FindExecutable(root->get(), spec.argv[0], path);
  if (!exe.has_value()) {
    int err = exe.error().errno_value();
    ChildFail("exec", spec.argv[0], err, ExecFailureExitCode(err));
  }
  std::vector<char*> argv = CStrings(spec.argv);
  std::vector<char*> envp = CStrings(spec.env);
  execve(exe->c_str(), argv.data(), envp.data());
  int err = errno;
  ChildFail("exec", *exe, err, ExecFailureExitCode(err));
}

}  // namespace

Result<WorkloadSpec> PrepareWorkload(const LaunchConfig& config, const std::string& console) {
  UniqueFd root = TRY(OpenFile(std::string(kNewRoot), O_PATH | O_DIRECTORY));
  std::string passwd = TRY(ReadDb(root.get(), "/etc/passwd"));
  std::string group = TRY(ReadDb(root.get(), "/etc/group"));
  WorkloadSpec spec;
  spec.creds = TRY(ResolveUser(ChooseUser(config.image, config.process), ParsePasswd(passwd),
                               ParseGroup(group)));
  spec.argv = TRY(BuildArgv(config.image, config.process));
  std::vector<std::string> dropped;
  spec.env = TRY(MergeEnv(config.image.env, config.process.env, spec.creds.home, &dropped));
  for (const std::string& d : dropped) spdlog::warn("environment entry without '=': {}", d);
  spec.working_dir = TRY(ChooseWorkingDir(config.image, config.process));
  spec.console = console;
  return spec;
}

Result<pid_t> SpawnWorkload(const WorkloadSpec& spec) {
  pid_t pid = fork();
  if (pid < 0) return Error::FromErrno("fork", errno);
  if (pid == 0) ChildMain(spec);
  return pid;
}

}  // namespace krata::zone
