#pragma once
// Test support: a real registry (Debian's docker-registry) on 127.0.0.1 started by
// tests/registry/start-registry.sh, which picks a free port itself, and shell helpers. Shared
// by the registry client's and krata-oci's tests. Not part of the product.

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "oci/digest.h"

namespace krata::oci::testing {

// tests/registry/ in the source tree, with a trailing slash.
std::string ScriptsDir();

// Runs cmd through the shell; returns (exit status or -1, stdout).
std::pair<int, std::string> RunCmd(const std::string& cmd);
// RunCmd that fails the current test on a non-zero exit.
std::string MustRun(const std::string& cmd);

// A shell command started with popen; Wait() returns its stdout and fails the test on a
// non-zero exit. Several may run at once (suites start registries and builds together).
class Shell {
 public:
  explicit Shell(std::string cmd);
  ~Shell();
  Shell(const Shell&) = delete;
  Shell& operator=(const Shell&) = delete;
  std::string Wait();

 private:
  std::string cmd_;
  FILE* p_;
};

class TestRegistry {
 public:
  // Starts a registry in dir in the background (with a user, htpasswd auth is required); it
  // dies with this process. Wait() blocks until it answers.
  void Start(const std::filesystem::path& dir, const std::string& user = "",
             const std::string& pass = "");
  void Wait();
  void Stop();
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  // The file the registry stores a blob in (distribution's filesystem layout).
  std::filesystem::path BlobFile(const Digest& d) const;

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  std::unique_ptr<Shell> shell_;
};

}  // namespace krata::oci::testing
