#include "oci/test_registry.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

namespace krata::oci::testing {

std::string ScriptsDir() { return std::string(KRATA_SOURCE_DIR) + "/tests/registry/"; }

std::pair<int, std::string> RunCmd(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, out};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

std::string MustRun(const std::string& cmd) {
  auto [rc, out] = RunCmd(cmd);
  EXPECT_EQ(rc, 0) << cmd << "\n" << out;
  return out;
}

Shell::Shell(std::string cmd) : cmd_(std::move(cmd)), p_(::popen(cmd_.c_str(), "r")) {}

Shell::~Shell() {
  if (p_ != nullptr) ::pclose(p_);
}

std::string Shell::Wait() {
  std::string out;
  if (p_ == nullptr) {
    ADD_FAILURE() << "popen failed: " << cmd_;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p_)) > 0) out.append(buf, n);
  int rc = ::pclose(p_);
  p_ = nullptr;
  EXPECT_EQ(rc, 0) << cmd_ << "\n" << out;
  return out;
}

void TestRegistry::Start(const std::filesystem::path& dir, const std::string& user,
                         const std::string& pass) {
  dir_ = dir;
  shell_ = std::make_unique<Shell>("KRATA_REGISTRY_OWNER_PID=" + std::to_string(::getpid()) + " " +
                                   ScriptsDir() + "start-registry.sh " + dir.string() + " " + user +
                                   " " + pass);
}

void TestRegistry::Wait() {
  std::string out = shell_->Wait();
  port_ = std::atoi(out.c_str());
  ASSERT_GT(port_, 0) << out;
}

void TestRegistry::Stop() {
  if (port_ != 0) RunCmd(ScriptsDir() + "stop-registry.sh " + dir_.string());
  port_ = 0;
}

std::filesystem::path TestRegistry::BlobFile(const Digest& d) const {
  return dir_ / "storage/docker/registry/v2/blobs" / std::string(d.algorithm_name()) /
         d.hex().substr(0, 2) / d.hex() / "data";
}

}  // namespace krata::oci::testing
