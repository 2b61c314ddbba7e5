#include "oci/image_config.h"

#include <gtest/gtest.h>

namespace krata::oci {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');

TEST(ImageConfigTest, ParsesRuntimeFields) {
  std::string doc = R"({"architecture":"arm64","os":"linux","variant":"v8",
    "config":{"User":"1000:1000","Env":["PATH=/usr/bin","A=b=c"],"Entrypoint":["/bin/sh","-c"],
      "Cmd":["echo hi"],"WorkingDir":"/srv","ExposedPorts":{"80/tcp":{},"53/udp":{}},
      "Labels":{"maintainer":"me"},"StopSignal":"SIGTERM","Volumes":{"/data":{}}},
    "rootfs":{"type":"layers","diff_ids":[")" +
                    kA + R"("]},
    "history":[{"created_by":"x"}]})";
  ImageConfig c = MUST(ParseImageConfig(doc));
  EXPECT_EQ(c.platform.ToString(), "linux/arm64/v8");
  EXPECT_EQ(c.user, "1000:1000");
  EXPECT_EQ(c.env, (std::vector<std::string>{"PATH=/usr/bin", "A=b=c"}));
  EXPECT_EQ(c.entrypoint, (std::vector<std::string>{"/bin/sh", "-c"}));
  EXPECT_EQ(c.cmd, (std::vector<std::string>{"echo hi"}));
  EXPECT_EQ(c.working_dir, "/srv");
  EXPECT_EQ(c.exposed_ports, (std::vector<std::string>{"53/udp", "80/tcp"}));
  EXPECT_EQ(c.labels.at("maintainer"), "me");
  EXPECT_EQ(c.stop_signal, "SIGTERM");
  ASSERT_EQ(c.diff_ids.size(), 1u);
  EXPECT_EQ(c.diff_ids[0].ToString(), kA);
}

TEST(ImageConfigTest, NullsAndAbsentConfigAreEmpty) {
  ImageConfig c = MUST(ParseImageConfig(
      R"({"os":"linux","architecture":"amd64","config":{"Entrypoint":null,"Cmd":null,"Env":null,
          "Labels":null},"rootfs":{"type":"layers","diff_ids":[]}})"));
  EXPECT_TRUE(c.entrypoint.empty());
  EXPECT_TRUE(c.cmd.empty());
  c = MUST(ParseImageConfig(R"({"rootfs":{"type":"layers"}})"));
  EXPECT_TRUE(c.diff_ids.empty());
}

TEST(ImageConfigTest, RejectsWrongTypes) {
  for (const char* bad : {
           R"({"config":{"Env":"PATH=/bin"},"rootfs":{"type":"layers"}})",
           R"({"config":{"Cmd":[1]},"rootfs":{"type":"layers"}})",
           R"({"config":{"User":0},"rootfs":{"type":"layers"}})",
           R"({"config":{"Labels":{"a":[]}},"rootfs":{"type":"layers"}})",
           R"({"config":{"ExposedPorts":["80/tcp"]},"rootfs":{"type":"layers"}})",
           R"({"config":[],"rootfs":{"type":"layers"}})",
           R"({"rootfs":{"type":"layers","diff_ids":["sha256:x"]}})",
           R"({"rootfs":{"type":"other"}})",
           R"({"os":"linux"})",
           R"({"architecture":1,"rootfs":{"type":"layers"}})",
           "{",
       }) {
    EXPECT_FALSE(ParseImageConfig(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace krata::oci
