#include "zone/config/launch_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

NetworkConfig SampleNetwork() {
  NetworkConfig n;
  n.mac = "02:ab:cd:ef:01:23";
  n.ipv4 = "10.75.0.3/16";
  n.gateway4 = "10.75.0.1";
  n.ipv6 = "fdd4:1476:6c7e::3/48";
  n.gateway6 = "fdd4:1476:6c7e::1";
  n.mtu = 1400;
  return n;
}

TEST(LaunchConfig, NetworkRoundTrips) {
  LaunchConfig in = Sample();
  EXPECT_FALSE(DecodeLaunchConfig(AsBytes(EncodeLaunchConfig(in))).value().network.has_value());
  in.network = SampleNetwork();
  LaunchConfig c = DecodeLaunchConfig(AsBytes(EncodeLaunchConfig(in))).value();
  ASSERT_TRUE(c.network.has_value());
  EXPECT_EQ(c.network->mac, "02:ab:cd:ef:01:23");
  EXPECT_EQ(c.network->ipv4, "10.75.0.3/16");
  EXPECT_EQ(c.network->gateway4, "10.75.0.1");
  EXPECT_EQ(c.network->ipv6, "fdd4:1476:6c7e::3/48");
  EXPECT_EQ(c.network->gateway6, "fdd4:1476:6c7e::1");
  EXPECT_EQ(c.network->mtu, 1400u);

  // One family alone is enough; the MTU defaults to 1500.
  Result<LaunchConfig> v6only =
      FromJson(R"({"version":1,"network":{"mac":"02:00:00:00:00:01","ipv6":"fd00::5/64",)"
               R"("gateway6":"fd00::1"}})");
  ASSERT_TRUE(v6only.has_value()) << v6only.error().ToString();
  EXPECT_EQ(v6only->network->ipv4, "");
  EXPECT_EQ(v6only->network->mtu, 1500u);
}

// Builds {"version":1,"network":{...}} from the sample with one field replaced.
std::string NetworkWith(const std::string& key, const std::string& json_value) {
  LaunchConfig c;
  c.network = SampleNetwork();
  std::string text = ToJson(c);
  auto j = nlohmann::json::parse(text);
  j["network"][key] = nlohmann::json::parse(json_value);
  return j.dump();
}

TEST(LaunchConfig, RefusesBadNetwork) {
  EXPECT_TRUE(FromJson(NetworkWith("mtu", "1500")).has_value());
  struct Case {
    const char* key;
    const char* value;
    const char* message;  // part of the error
  } cases[] = {
      {"mac", "\"02:ab:cd:ef:01\"", "MAC"},
      {"mac", "\"03:ab:cd:ef:01:23\"", "multicast"},
      {"mac", "null", "mac"},
      {"ipv4", "\"10.75.0.3\"", "prefix"},
      {"ipv4", "\"10.75.0.300/16\"", "address"},
      {"ipv4", "\"fd00::3/64\"", "family"},
      {"ipv4", "\"0.0.0.0/16\"", "host address"},
      {"ipv4", "\"10.75.0.3/33\"", "prefix"},
      {"gateway4", "\"10.76.0.1\"", "gateway"},
      {"gateway4", "\"10.75.0.3\"", "gateway"},
      {"gateway4", "\"\"", "together"},
      {"gateway6", "\"fdd5::1\"", "gateway"},
      {"ipv6", "\"10.75.0.3/16\"", "family"},
      {"mtu", "1279", "mtu"},
      {"mtu", "65536", "mtu"},
      {"mtu", "\"1500\"", "mtu"},
  };
  for (const Case& c : cases) {
    Result<LaunchConfig> r = FromJson(NetworkWith(c.key, c.value));
    ASSERT_FALSE(r.has_value()) << c.key << "=" << c.value;
    EXPECT_NE(r.error().ToString().find(c.message), std::string::npos)
        << c.key << "=" << c.value << ": " << r.error().ToString();
  }
  EXPECT_FALSE(FromJson(R"({"version":1,"network":{"mac":"02:00:00:00:00:01"}})").has_value());
  EXPECT_FALSE(FromJson(R"({"version":1,"network":[]})").has_value());
}

}  // namespace
}  // namespace krata::zone
