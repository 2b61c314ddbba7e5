#include "zone/root_fs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/file.h"

namespace krata::zone {
namespace {

namespace fs = std::filesystem;

class RootFs : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/krata-zone-rootfs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    root_ = base_ / "root";
    fs::create_directories(root_);
    root_fd_ = OpenFile(root_.string(), O_PATH | O_DIRECTORY).value();
  }
  void TearDown() override { fs::remove_all(base_); }

  void Write(const fs::path& p, std::string_view content, fs::perms mode) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
    fs::permissions(p, mode);
  }
  std::string Read(const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path base_, root_;
  UniqueFd root_fd_;
};

constexpr fs::perms kExec = fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read;
constexpr fs::perms kPlain = fs::perms::owner_read | fs::perms::owner_write;

TEST_F(RootFs, FindExecutableSearchesPathInOrder) {
  Write(root_ / "usr/bin/tool", "#!/bin/sh\n", kExec);
  Write(root_ / "bin/tool", "#!/bin/sh\n", kExec);
  EXPECT_EQ(FindExecutable(root_fd_.get(), "tool", "/usr/local/bin:/usr/bin:/bin").value(),
            "/usr/bin/tool");
  EXPECT_EQ(FindExecutable(root_fd_.get(), "tool", "/bin:/usr/bin").value(), "/bin/tool");
  EXPECT_EQ(FindExecutable(root_fd_.get(), "./x/y", "/bin").value(), "./x/y");
}

TEST_F(RootFs, FindExecutableNotFoundVersusNotExecutable) {
  Write(root_ / "bin/data", "x", kPlain);
  fs::create_directories(root_ / "bin/dir");
  Result<std::string> missing = FindExecutable(root_fd_.get(), "nope", "/bin:/usr/bin");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().errno_value(), ENOENT);
  Result<std::string> plain = FindExecutable(root_fd_.get(), "data", "/bin");
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error().errno_value(), EACCES);
  EXPECT_EQ(FindExecutable(root_fd_.get(), "dir", "/bin").error().errno_value(), ENOENT);
}

TEST_F(RootFs, FindExecutableResolvesSymlinksInsideTheRoot) {
  // An absolute link points into the root, not at the host's /usr/bin.
  Write(root_ / "opt/real/app", "#!/bin/sh\n", kExec);
  fs::create_directories(root_ / "bin");
  fs::create_symlink("/opt/real/app", root_ / "bin/app");
  fs::create_symlink("/usr/bin", root_ / "hostbin");  // no /usr/bin in the root
  EXPECT_EQ(FindExecutable(root_fd_.get(), "app", "/bin").value(), "/bin/app");
  EXPECT_EQ(FindExecutable(root_fd_.get(), "env", "/hostbin").error().errno_value(), ENOENT);
}

TEST_F(RootFs, WriteEtcFileReplacesASymlinkInsteadOfFollowingIt) {
  Write(base_ / "outside", "precious", kPlain);
  fs::create_directories(root_ / "etc");
  fs::create_symlink(base_ / "outside", root_ / "etc/hosts");
  ASSERT_TRUE(WriteEtcFile(root_fd_.get(), "hosts", "127.0.0.1 localhost\n").has_value());
  EXPECT_EQ(Read(base_ / "outside"), "precious");
  EXPECT_FALSE(fs::is_symlink(root_ / "etc/hosts"));
  EXPECT_EQ(Read(root_ / "etc/hosts"), "127.0.0.1 localhost\n");
}

TEST_F(RootFs, WriteEtcFileCreatesEtcAndFollowsAnEtcSymlinkInsideTheRoot) {
  ASSERT_TRUE(WriteEtcFile(root_fd_.get(), "hostname", "web\n").has_value());
  EXPECT_EQ(Read(root_ / "etc/hostname"), "web\n");
  EXPECT_FALSE(WriteEtcFile(root_fd_.get(), "../x", "").has_value());

  fs::path other = base_ / "other";
  fs::create_directories(other / "private/etc");
  fs::create_symlink("/private/etc", other / "etc");  // absolute: must stay in `other`
  UniqueFd other_fd = OpenFile(other.string(), O_PATH | O_DIRECTORY).value();
  ASSERT_TRUE(WriteEtcFile(other_fd.get(), "resolv.conf", "nameserver 1.1.1.1\n").has_value());
  EXPECT_EQ(Read(other / "private/etc/resolv.conf"), "nameserver 1.1.1.1\n");
  EXPECT_FALSE(fs::exists("/private/etc/resolv.conf"));
}

TEST_F(RootFs, ReadFileInRootIsBoundedAndStaysInside) {
  Write(root_ / "etc/passwd", "root:x:0:0::/root:/bin/sh\n", kPlain);
  EXPECT_EQ(ReadFileInRoot(root_fd_.get(), "/etc/passwd", 4).value(), "root");
  fs::create_symlink("../../../../../../etc/passwd", root_ / "etc/group");
  // ".." stops at the root: the link names the root's own /etc/passwd.
  EXPECT_EQ(ReadFileInRoot(root_fd_.get(), "/etc/group", 1024).value(),
            "root:x:0:0::/root:/bin/sh\n");
  EXPECT_EQ(ReadFileInRoot(root_fd_.get(), "/etc/shadow", 10).error().errno_value(), ENOENT);
  EXPECT_FALSE(ReadFileInRoot(root_fd_.get(), "/etc", 10).has_value());
}

TEST_F(RootFs, MkdirAllInRoot) {
  ASSERT_TRUE(MkdirAllInRoot(root_fd_.get(), "/srv/app/data").has_value());
  EXPECT_TRUE(fs::is_directory(root_ / "srv/app/data"));
  ASSERT_TRUE(MkdirAllInRoot(root_fd_.get(), "/srv/app/data").has_value());  // idempotent
  ASSERT_TRUE(MkdirAllInRoot(root_fd_.get(), "/").has_value());
  Write(root_ / "file", "x", kPlain);
  EXPECT_FALSE(MkdirAllInRoot(root_fd_.get(), "/file").has_value());
  fs::create_symlink(base_, root_ / "escape");
  // The link resolves to <root>/<base_>, which does not exist: an error, nothing outside.
  EXPECT_FALSE(MkdirAllInRoot(root_fd_.get(), "/escape/inside").has_value());
  EXPECT_FALSE(fs::exists(base_ / "inside"));
}

}  // namespace
}  // namespace krata::zone
