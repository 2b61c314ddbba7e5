#include "xen/call/xencall.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "xen/abi/hypercall.h"
#include "xen/call/fake_privcmd.h"

namespace krata::xen {
namespace {

TEST(XenCallTest, VersionCombinesNumberAndExtraversion) {
  FakePrivcmd fake;
  XenCall xc(fake);
  Result<XenVersion> v = xc.Version();
  ASSERT_TRUE(v.has_value()) << v.error().ToString();
  EXPECT_EQ(v->major, 4u);
  EXPECT_EQ(v->minor, 17u);
  EXPECT_EQ(v->ToString(), "4.17.7-fake");
}

TEST(XenCallTest, ExtraversionWithoutNulIsBounded) {
  FakeHost host;
  host.extra = std::string(40, 'x');  // longer than Xen's 16-byte field
  FakePrivcmd fake(host);
  XenCall xc(fake);
  Result<XenVersion> v = xc.Version();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->extra.size(), abi::kXenExtraversionLen);
}

TEST(XenCallTest, PhysinfoReportsHostAndRemembersProbedVersion) {
  FakePrivcmd fake;
  XenCall xc(fake);
  Result<PhysInfo> p = xc.Physinfo();
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  EXPECT_EQ(p->nr_cpus, 2u);
  EXPECT_EQ(p->TotalBytes(), 1024ull << 20);
  EXPECT_EQ(p->FreeBytes(), 100000ull * 4096);
  ASSERT_TRUE(xc.Physinfo().has_value());
  // One probe at 0x15, then the remembered version: two calls in all.
  ASSERT_EQ(fake.calls().size(), 2u);
  EXPECT_EQ(fake.calls()[1].sub, 0x15u);
}

TEST(XenCallTest, ProbesNextInterfaceVersionOnEacces) {
  FakeHost host;
  host.sysctl_version = 0x16;
  FakePrivcmd fake(host);
  XenCall xc(fake);
  EXPECT_EQ(*xc.SysctlInterfaceVersion(), 0x16u);
  ASSERT_EQ(fake.calls().size(), 2u);
  EXPECT_EQ(fake.calls()[0].sub, 0x15u);
  EXPECT_EQ(fake.calls()[1].sub, 0x16u);
}

TEST(XenCallTest, UnknownInterfaceVersionIsAClearError) {
  FakeHost host;
  host.sysctl_version = 0x99;
  FakePrivcmd fake(host);
  XenCall xc(fake);
  Result<PhysInfo> p = xc.Physinfo();
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().ToString().find("unsupported Xen"), std::string::npos);
}

}  // namespace
}  // namespace krata::xen
