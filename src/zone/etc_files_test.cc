#include "zone/etc_files.h"

#include <gtest/gtest.h>

namespace krata::zone {
namespace {

TEST(Hostname, Validation) {
  EXPECT_TRUE(ValidateHostname("web-1").has_value());
  EXPECT_TRUE(ValidateHostname("krata-0b6a4b47-0000-4000-8000-000000000001").has_value());
  EXPECT_FALSE(ValidateHostname("").has_value());
  EXPECT_FALSE(ValidateHostname(std::string(65, 'a')).has_value());
  EXPECT_FALSE(ValidateHostname("a b").has_value());
  EXPECT_FALSE(ValidateHostname("evil\n127.0.0.1").has_value());
  EXPECT_FALSE(ValidateHostname("-x").has_value());
  EXPECT_FALSE(ValidateHostname("x.").has_value());
}

TEST(Hosts, CreatesFromNothing) {
  EXPECT_EQ(EnsureHosts("", "web"), "127.0.0.1\tlocalhost\n127.0.1.1\tweb\n");
}

TEST(Hosts, KeepsExistingLinesAndAddsOnlyWhatIsMissing) {
  std::string existing = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.0.0.5 db";
  EXPECT_EQ(EnsureHosts(existing, "web"), existing + "\n127.0.1.1\tweb\n");
  std::string both = "127.0.0.1\tlocalhost.localdomain localhost\n127.0.1.1 web # me\n";
  EXPECT_EQ(EnsureHosts(both, "web"), both);
}

TEST(Hosts, CommentedMappingsDoNotCount) {
  EXPECT_EQ(EnsureHosts("# 127.0.0.1 localhost\n", "web"),
            "127.0.0.1\tlocalhost\n# 127.0.0.1 localhost\n127.0.1.1\tweb\n");
}

TEST(ResolvConf, OneLinePerNameserver) {
  std::string r = ResolvConf({"10.75.0.1", "fd00::1"}).value();
  EXPECT_NE(r.find("nameserver 10.75.0.1\nnameserver fd00::1\n"), std::string::npos);
  EXPECT_EQ(r.rfind("# krata", 0), 0u);
  EXPECT_FALSE(ResolvConf({"1.1.1.1\noptions ndots:15"}).has_value());
  EXPECT_FALSE(ResolvConf({""}).has_value());
}

TEST(Console, LastActiveDevice) {
  EXPECT_EQ(ConsoleDevice("tty0 hvc0\n").value(), "/dev/hvc0");
  EXPECT_EQ(ConsoleDevice("hvc0").value(), "/dev/hvc0");
  EXPECT_FALSE(ConsoleDevice("").has_value());
  EXPECT_FALSE(ConsoleDevice("../x").has_value());
}

}  // namespace
}  // namespace krata::zone
