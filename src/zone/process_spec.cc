#include "zone/process_spec.h"

#include <cerrno>

namespace krata::zone {
namespace {

constexpr std::string_view kOp = "process";

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

std::string_view KeyOf(std::string_view entry) { return entry.substr(0, entry.find('=')); }

// Sets key=value in env, replacing the first entry with that key in place.
void Put(std::vector<std::string>& env, std::string entry) {
  std::string_view key = KeyOf(entry);
  for (std::string& e : env) {
    if (KeyOf(e) == key) {
      e = std::move(entry);
      return;
    }
  }
  env.push_back(std::move(entry));
}

}  // namespace

Result<std::vector<std::string>> BuildArgv(const ImageProcess& image,
                                           const ProcessOverride& process) {
  std::vector<std::string> argv = image.entrypoint;
  const std::vector<std::string>& rest = process.args.has_value() ? *process.args : image.cmd;
  argv.insert(argv.end(), rest.begin(), rest.end());
  if (argv.empty()) argv.emplace_back("/bin/sh");
  if (argv.size() > kMaxArgs) return Error::Invalid(kOp, "too many arguments");
  for (const std::string& a : argv) {
    if (HasNul(a)) return Error::Invalid(kOp, "argument contains a NUL byte");
  }
  if (argv[0].empty()) return Error::Invalid(kOp, "empty executable name");
  return argv;
}

Result<std::vector<std::string>> MergeEnv(const std::vector<std::string>& image_env,
                                          const std::vector<std::string>& override_env,
                                          std::string_view home,
                                          std::vector<std::string>* dropped) {
  std::vector<std::string> env;
  for (const std::vector<std::string>* list : {&image_env, &override_env}) {
    for (const std::string& e : *list) {
      if (HasNul(e)) return Error::Invalid(kOp, "environment entry contains a NUL byte");
      size_t eq = e.find('=');
      if (eq == std::string::npos || eq == 0) {
        if (dropped != nullptr) dropped->push_back(e);
        continue;
      }
      Put(env, e);
      if (env.size() > kMaxEnv) return Error::Invalid(kOp, "too many environment entries");
    }
  }
  if (!LookupEnv(env, "PATH").has_value()) env.push_back("PATH=" + std::string(kDefaultPath));
  if (!LookupEnv(env, "HOME").has_value()) env.push_back("HOME=" + std::string(home));
  if (!LookupEnv(env, "TERM").has_value()) env.emplace_back("TERM=linux");
  Put(env, "KRATA_ZONE=1");
  return env;
}

std::optional<std::string_view> LookupEnv(const std::vector<std::string>& env,
                                          std::string_view key) {
  for (const std::string& e : env) {
    std::string_view v(e);
    if (KeyOf(v) == key && v.size() > key.size()) return v.substr(key.size() + 1);
  }
  return std::nullopt;
}

Result<std::string> ChooseWorkingDir(const ImageProcess& image, const ProcessOverride& process) {
  std::string dir = process.working_dir.has_value() && !process.working_dir->empty()
                        ? *process.working_dir
                        : image.working_dir;
  if (HasNul(dir)) return Error::Invalid(kOp, "working directory contains a NUL byte");
  if (dir.empty()) return std::string("/");
  if (dir.front() != '/') dir.insert(dir.begin(), '/');
  return dir;
}

std::string ChooseUser(const ImageProcess& image, const ProcessOverride& process) {
  return process.user.has_value() ? *process.user : image.user;
}

int ExecFailureExitCode(int errno_value) {
  return errno_value == ENOENT || errno_value == ENOTDIR ? 127 : 126;
}

}  // namespace krata::zone
