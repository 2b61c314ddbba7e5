#include "zone/config/launch_config.h"

#include <gtest/gtest.h>

namespace krata::zone {
namespace {

LaunchConfig Sample() {
  LaunchConfig c;
  c.zone_id = "0b6a4b47-0000-4000-8000-000000000001";
  c.hostname = "web";
  c.root_format = RootFormat::kErofs;
  c.image = {{"/entry"}, {"a", "b"}, {"PATH=/bin", "A=1"}, "/srv", "nobody:nogroup"};
  c.process.args = std::vector<std::string>{"sh", "-c", "exit 7"};
  c.process.env = {"A=2"};
  c.process.working_dir = "/tmp";
  c.overlay_bytes = 64 << 20;
  c.shutdown_grace_ms = 2500;
  c.nameservers = {"10.75.0.1"};
  return c;
}

TEST(LaunchConfig, RoundTripsThroughTheFraming) {
  std::string bytes = EncodeLaunchConfig(Sample());
  EXPECT_EQ(bytes.size() % kConfigAlign, 0u);
  EXPECT_EQ(bytes.substr(0, 8), "KRATACF1");
  LaunchConfig c = DecodeLaunchConfig(AsBytes(bytes)).value();
  EXPECT_EQ(c.zone_id, Sample().zone_id);
  EXPECT_EQ(c.hostname, "web");
  EXPECT_EQ(c.root_format, RootFormat::kErofs);
  EXPECT_EQ(c.image.entrypoint, std::vector<std::string>{"/entry"});
  EXPECT_EQ(c.image.user, "nobody:nogroup");
  ASSERT_TRUE(c.process.args.has_value());
  EXPECT_EQ(c.process.args->at(2), "exit 7");
  EXPECT_EQ(c.process.env, std::vector<std::string>{"A=2"});
  EXPECT_EQ(c.process.working_dir, "/tmp");
  EXPECT_FALSE(c.process.user.has_value());
  EXPECT_EQ(c.overlay_bytes, uint64_t{64} << 20);
  EXPECT_EQ(c.shutdown_grace_ms, 2500u);
  EXPECT_EQ(c.nameservers, std::vector<std::string>{"10.75.0.1"});
}

TEST(LaunchConfig, RefusesBadFraming) {
  std::string bytes = EncodeLaunchConfig(Sample());
  EXPECT_FALSE(DecodeLaunchConfig(AsBytes(std::string_view(bytes).substr(0, 11))).has_value());
  std::string bad_magic = bytes;
  bad_magic[0] = 'X';
  EXPECT_FALSE(DecodeLaunchConfig(AsBytes(bad_magic)).has_value());
  std::string long_len = bytes;
  long_len[11] = '\x7f';  // length far beyond the buffer
  EXPECT_FALSE(DecodeLaunchConfig(AsBytes(long_len)).has_value());
}

TEST(LaunchConfig, RefusesWrongTypesAndVersions) {
  EXPECT_FALSE(FromJson(R"({"version":2})").has_value());
  EXPECT_FALSE(FromJson(R"({"version":1,"image":{"cmd":"not-an-array"}})").has_value());
  EXPECT_FALSE(FromJson(R"({"version":1,"root_format":"ext4"})").has_value());
  EXPECT_FALSE(FromJson(R"({"version":1,"shutdown_grace_ms":99999999999})").has_value());
  EXPECT_TRUE(FromJson(R"({"version":1,"unknown":{"x":1}})").has_value());
}

}  // namespace
}  // namespace krata::zone
