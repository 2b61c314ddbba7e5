// OciImageService over krata-oci with a local OCI layout made by umoci (skipped without it):
// pull packs into the cache and keeps the image's process settings for Find().

#include "daemon/oci_image_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace krata::daemon {
namespace {

TEST(OciImageServiceTest, ImageSourceDefaultsToDocker) {
  EXPECT_EQ(ImageSource("alpine:latest"), "docker://alpine:latest");
  EXPECT_EQ(ImageSource("oci:/x:tag"), "oci:/x:tag");
  EXPECT_EQ(ImageSource("docker://a/b"), "docker://a/b");
}

TEST(OciImageServiceTest, PullThenFind) {
  if (std::system("command -v umoci >/dev/null 2>&1") != 0) GTEST_SKIP() << "no umoci";
  char tmpl[] = "/tmp/oci-image-service-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::string layout = dir + "/layout";
  std::string script =
      "set -e; cd " + dir + "; umoci init --layout layout; umoci new --image layout:img;" +
      " umoci config --image layout:img --config.entrypoint /bin/echo --config.cmd hi" +
      " --config.workingdir /srv --config.env A=1 --config.user 1000;" +
      " umoci unpack --rootless --image layout:img b >/dev/null; echo hi > b/rootfs/hello;" +
      " umoci repack --image layout:img b";
  ASSERT_EQ(std::system(script.c_str()), 0);

  OciImageService images(dir + "/store");
  std::vector<std::string> phases;
  Result<PulledImage> pulled =
      images.Pull("oci:" + layout + ":img", "squashfs",
                  [&](const PullProgress& p) { phases.push_back(p.phase); });
  ASSERT_TRUE(pulled.has_value()) << pulled.error().ToString();
  EXPECT_EQ(pulled->digest.rfind("sha256:", 0), 0u);
  EXPECT_EQ(phases.back(), "done");

  Result<CachedImage> found = images.Find(pulled->digest, "squashfs");
  ASSERT_TRUE(found.has_value()) << found.error().ToString();
  EXPECT_TRUE(std::filesystem::exists(found->path));
  EXPECT_EQ(found->process.entrypoint, std::vector<std::string>{"/bin/echo"});
  EXPECT_EQ(found->process.cmd, std::vector<std::string>{"hi"});
  EXPECT_EQ(found->process.working_dir, "/srv");
  EXPECT_EQ(found->process.user, "1000");
  EXPECT_NE(std::find(found->process.env.begin(), found->process.env.end(), "A=1"),
            found->process.env.end());
  // Only the cache entry is left: the pull's scratch copy is gone.
  for (const auto& e : std::filesystem::directory_iterator(dir + "/store/tmp")) {
    EXPECT_EQ(e.path().filename().string().rfind("kratad-pull-", 0), std::string::npos);
  }

  Result<CachedImage> missing = images.Find("sha256:" + std::string(64, '0'), "squashfs");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().errno_value(), ENOENT);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace krata::daemon
