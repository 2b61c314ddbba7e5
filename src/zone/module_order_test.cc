#include "zone/module_order.h"

#include <gtest/gtest.h>

namespace krata::zone {
namespace {

TEST(ModuleOrder, ParsesRequiredOptionalCommentsAndDuplicates) {
  std::vector<ModuleEntry> m = ParseModuleOrder(
                                   "# generated\n"
                                   "kernel/drivers/block/xen-blkfront.ko\n"
                                   "\n"
                                   "  ?kernel/lib/libcrc32c.ko  \r\n"
                                   "? kernel/fs/erofs/erofs.ko\n"
                                   "kernel/drivers/block/xen-blkfront.ko\n"
                                   "kernel/fs/overlayfs/overlay.ko")
                                   .value();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].path, "kernel/drivers/block/xen-blkfront.ko");
  EXPECT_FALSE(m[0].optional);
  EXPECT_EQ(m[1].path, "kernel/lib/libcrc32c.ko");
  EXPECT_TRUE(m[1].optional);
  EXPECT_TRUE(m[2].optional);
  EXPECT_EQ(m[3].path, "kernel/fs/overlayfs/overlay.ko");
}

TEST(ModuleOrder, RejectsUnsafePaths) {
  for (const char* bad : {"/lib/modules/x.ko", "../x.ko", "kernel/../../x.ko", "kernel//x.ko",
                          "kernel/x.ko.xz", "kernel/x", "kernel/a b.ko", "./x.ko", "?"}) {
    Result<std::vector<ModuleEntry>> r = ParseModuleOrder(bad);
    EXPECT_FALSE(r.has_value()) << bad;
  }
  Result<std::vector<ModuleEntry>> r = ParseModuleOrder("ok.ko\n../bad.ko\n");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("line 2"), std::string::npos);
}

TEST(ModuleOrder, BoundsTheCount) {
  std::string text;
  for (size_t i = 0; i <= kMaxModules; ++i) text += "m" + std::to_string(i) + ".ko\n";
  EXPECT_FALSE(ParseModuleOrder(text).has_value());
  EXPECT_TRUE(ParseModuleOrder("").value().empty());
}

}  // namespace
}  // namespace krata::zone
