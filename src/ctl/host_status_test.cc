#include "ctl/host_status.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "xen/call/fake_privcmd.h"
#include "xen/store/fake_xenstored.h"

namespace krata::ctl {
namespace {

TEST(HostStatusTest, CombinesHypervisorAndXenstoreFacts) {
  xen::FakePrivcmd fake;
  xen::XenCall xc(fake);
  xen::store::FakeXenstored xsd;
  xsd.Set("/local/domain/0/name", "Domain-0");
  xen::store::XsClient xs(xsd.TakeClientTransport());
  Result<HostStatus> s = QueryHostStatus(xc, xs);
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  auto j = nlohmann::json::parse(FormatHostStatusJson(*s));
  EXPECT_EQ(j["xen_version"], "4.17.7-fake");
  EXPECT_EQ(j["nr_cpus"], 2);
  EXPECT_EQ(j["total_memory_bytes"], 1ull << 30);
  EXPECT_EQ(j["host_domain_name"], "Domain-0");
  EXPECT_EQ(j["sysctl_interface_version"], 0x15);
  std::string text = FormatHostStatusText(*s);
  EXPECT_NE(text.find("Memory total:     1024 MiB"), std::string::npos);
}

TEST(HostStatusTest, MissingDom0NameIsAnError) {
  xen::FakePrivcmd fake;
  xen::XenCall xc(fake);
  xen::store::FakeXenstored xsd;
  xen::store::XsClient xs(xsd.TakeClientTransport());
  Result<HostStatus> s = QueryHostStatus(xc, xs);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().ToString().find("/local/domain/0/name"), std::string::npos);
}

}  // namespace
}  // namespace krata::ctl
