#include "zone/mount_plan.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <algorithm>

namespace krata::zone {
namespace {

const MountSpec* Find(const std::vector<MountSpec>& plan, std::string_view target) {
  auto it = std::find_if(plan.begin(), plan.end(),
                         [&](const MountSpec& m) { return m.target == target; });
  return it == plan.end() ? nullptr : &*it;
}

size_t IndexOf(const std::vector<MountSpec>& plan, std::string_view target) {
  return static_cast<size_t>(std::find_if(plan.begin(), plan.end(),
                                          [&](const MountSpec& m) { return m.target == target; }) -
                             plan.begin());
}

TEST(EarlyMounts, DevFirstThenKernelFilesystems) {
  std::vector<MountSpec> plan = EarlyMounts();
  ASSERT_FALSE(plan.empty());
  EXPECT_EQ(plan[0].fstype, "devtmpfs");
  EXPECT_EQ(plan[0].target, "/dev");
  for (std::string_view t : {"/proc", "/sys", "/dev/pts", "/sys/fs/cgroup", "/run"}) {
    ASSERT_NE(Find(plan, t), nullptr) << t;
  }
  EXPECT_LT(IndexOf(plan, "/sys"), IndexOf(plan, "/sys/fs/cgroup"));
  EXPECT_LT(IndexOf(plan, "/dev"), IndexOf(plan, "/dev/pts"));
  EXPECT_EQ(Find(plan, "/sys/fs/cgroup")->fstype, "cgroup2");
  EXPECT_NE(Find(plan, "/proc")->flags & MS_NOSUID, 0u);
}

TEST(RootMounts, ImageReadOnlyOverlayOnBoundedTmpfs) {
  LaunchConfig c;
  c.root_format = RootFormat::kErofs;
  c.overlay_bytes = 64 << 20;
  std::vector<MountSpec> plan = RootMounts(c);
  const MountSpec* image = Find(plan, "/image");
  ASSERT_NE(image, nullptr);
  EXPECT_EQ(image->source, "/dev/xvda");
  EXPECT_EQ(image->fstype, "erofs");
  EXPECT_NE(image->flags & MS_RDONLY, 0u);
  const MountSpec* upper = Find(plan, "/overlay");
  ASSERT_NE(upper, nullptr);
  EXPECT_EQ(upper->fstype, "tmpfs");
  EXPECT_NE(upper->data.find("size=67108864"), std::string::npos);
  const MountSpec* root = Find(plan, "/newroot");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->fstype, "overlay");
  EXPECT_EQ(root->data, "lowerdir=/image,upperdir=/overlay/upper,workdir=/overlay/work");
  EXPECT_LT(IndexOf(plan, "/image"), IndexOf(plan, "/newroot"));
  EXPECT_LT(IndexOf(plan, "/overlay/upper"), IndexOf(plan, "/newroot"));
  EXPECT_LT(IndexOf(plan, "/overlay/work"), IndexOf(plan, "/newroot"));
  for (std::string_view d : {"dev", "proc", "sys"}) {
    const MountSpec* b = Find(plan, d);
    ASSERT_NE(b, nullptr) << d;
    EXPECT_EQ(b->kind, MountSpec::Kind::kBind);
    EXPECT_TRUE(b->in_new_root);
    EXPECT_EQ(b->source, "/" + std::string(d));
    EXPECT_GT(IndexOf(plan, d), IndexOf(plan, "/newroot"));
  }
}

TEST(RootMounts, SquashfsAndDefaultSizeIsBounded) {
  LaunchConfig c;
  std::vector<MountSpec> plan = RootMounts(c);
  EXPECT_EQ(Find(plan, "/image")->fstype, "squashfs");
  EXPECT_NE(Find(plan, "/overlay")->data.find("size=50%"), std::string::npos);
  EXPECT_EQ(OverlaySizeOption(0), "size=50%");
  EXPECT_EQ(OverlaySizeOption(4096), "size=4096");
}

TEST(UnmountOrder, InnermostFirst) {
  std::vector<std::string> order = UnmountOrder();
  auto pos = [&](std::string_view t) { return std::find(order.begin(), order.end(), t); };
  EXPECT_LT(pos("/newroot/dev"), pos("/newroot"));
  EXPECT_LT(pos("/newroot"), pos("/overlay"));
  EXPECT_LT(pos("/newroot"), pos("/image"));
}

}  // namespace
}  // namespace krata::zone
