// LinuxGrantMapper / LinuxGrantAllocator without Xen: missing devices and ioctl failures.

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "xen/gnttab/gnttab.h"

namespace krata::xen::gnttab {
namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(LinuxGnttabTest, MissingDevicesNameThemAndTheirModules) {
  auto mapper = OpenLinuxGrantMapper("/nonexistent/xen/gntdev");
  ASSERT_FALSE(mapper.has_value());
  EXPECT_EQ(mapper.error().errno_value(), ENOENT);
  EXPECT_TRUE(Contains(mapper.error().ToString(), "/nonexistent/xen/gntdev"));
  EXPECT_TRUE(Contains(mapper.error().ToString(), "xen-gntdev"));

  auto alloc = OpenLinuxGrantAllocator("/nonexistent/xen/gntalloc");
  ASSERT_FALSE(alloc.has_value());
  EXPECT_EQ(alloc.error().errno_value(), ENOENT);
  EXPECT_TRUE(Contains(alloc.error().ToString(), "/nonexistent/xen/gntalloc"));
  EXPECT_TRUE(Contains(alloc.error().ToString(), "xen-gntalloc"));
}

TEST(LinuxGnttabTest, MapIoctlFailureNamesTheIoctlAndGrant) {
  // /dev/null opens read-write but rejects every ioctl with ENOTTY.
  std::unique_ptr<GrantMapper> mapper = MUST(OpenLinuxGrantMapper("/dev/null"));
  Result<GrantMapping> m = mapper->MapOne(5, GrantRef{10}, Access::kReadWrite);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().errno_value(), ENOTTY);
  EXPECT_EQ(m.error().op(), "ioctl(GNTDEV_MAP_GRANT_REF)");
  EXPECT_TRUE(Contains(m.error().ToString(), "domain 5 ref 10")) << m.error().ToString();

  GrantRef refs[] = {GrantRef{1}, GrantRef{2}, GrantRef{3}};
  Result<GrantMapping> multi = mapper->Map(5, refs, Access::kReadOnly);
  ASSERT_FALSE(multi.has_value());
  EXPECT_TRUE(Contains(multi.error().ToString(), "refs 1 (+2 more)")) << multi.error().ToString();
}

TEST(LinuxGnttabTest, MapRejectsBadCountsBeforeTheDevice) {
  std::unique_ptr<GrantMapper> mapper = MUST(OpenLinuxGrantMapper("/dev/null"));
  Result<GrantMapping> none = mapper->Map(5, {}, Access::kReadOnly);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().errno_value(), 0);  // Invalid, not the device's ENOTTY
  std::vector<GrantRef> many(kMaxPagesPerCall + 1);
  EXPECT_EQ(mapper->Map(5, many, Access::kReadOnly).error().errno_value(), 0);
}

TEST(LinuxGnttabTest, AllocIoctlFailureNamesTheIoctlAndDomain) {
  std::unique_ptr<GrantAllocator> alloc = MUST(OpenLinuxGrantAllocator("/dev/null"));
  Result<SharedPages> p = alloc->Allocate(7, 2, Access::kReadWrite);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().errno_value(), ENOTTY);
  EXPECT_EQ(p.error().op(), "ioctl(GNTALLOC_ALLOC_GREF)");
  EXPECT_TRUE(Contains(p.error().ToString(), "domain 7, 2 pages")) << p.error().ToString();
  EXPECT_EQ(alloc->Allocate(7, 0, Access::kReadWrite).error().errno_value(), 0);
}

}  // namespace
}  // namespace krata::xen::gnttab
