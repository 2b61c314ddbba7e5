#include "oci/credentials.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace krata::oci {
namespace {

TEST(CredentialsTest, Base64RoundTripAndStrictness) {
  for (std::string s : {std::string(), std::string("a"), std::string("ab"), std::string("abc"),
                        std::string("user:pa:ss"), std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(MUST(DecodeBase64(EncodeBase64(s))), s);
  }
  EXPECT_EQ(EncodeBase64("user:pass"), "dXNlcjpwYXNz");
  EXPECT_FALSE(DecodeBase64("dXNlcjpwYXN").has_value());   // length
  EXPECT_FALSE(DecodeBase64("dXNl cjpw").has_value());     // whitespace
  EXPECT_FALSE(DecodeBase64("dX=lcjpw").has_value());      // padding in the middle
  EXPECT_FALSE(DecodeBase64("dXNlcjp=YXNz").has_value());  // padding not at the end
  EXPECT_FALSE(DecodeBase64("d===").has_value());
}

TEST(CredentialsTest, CredsFlag) {
  Credentials c = MUST(ParseCredsFlag("alice:s3:cret"));
  EXPECT_EQ(c.username, "alice");
  EXPECT_EQ(c.password, "s3:cret");
  EXPECT_FALSE(ParseCredsFlag("alice").has_value());
  EXPECT_FALSE(ParseCredsFlag(":pw").has_value());
}

TEST(CredentialsTest, AuthFileKeys) {
  std::string file = R"({"auths":{
    "https://index.docker.io/v1/":{"auth":")" +
                     EncodeBase64("hub:hubpw") + R"("},
    "quay.io":{"auth":")" +
                     EncodeBase64("q:qpw") + R"("},
    "https://127.0.0.1:5000/v2/":{"username":"u","password":"p"},
    "bad.io":{"auth":"!!!!"}},
    "credsStore":"desktop"})";
  EXPECT_EQ(MUST(FindInAuthFile(file, "docker.io")), (Credentials{"hub", "hubpw"}));
  EXPECT_EQ(MUST(FindInAuthFile(file, "quay.io")), (Credentials{"q", "qpw"}));
  EXPECT_EQ(MUST(FindInAuthFile(file, "127.0.0.1:5000")), (Credentials{"u", "p"}));
  EXPECT_FALSE(MUST(FindInAuthFile(file, "127.0.0.1:5001")).has_value());
  EXPECT_FALSE(MUST(FindInAuthFile(file, "quay.io.evil")).has_value());
  EXPECT_FALSE(FindInAuthFile(file, "bad.io").has_value());
  EXPECT_FALSE(MUST(FindInAuthFile("{}", "quay.io")).has_value());
  EXPECT_FALSE(FindInAuthFile(R"({"auths":[]})", "quay.io").has_value());
  EXPECT_FALSE(FindInAuthFile("nope", "quay.io").has_value());
}

class CredentialsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("krata-creds-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "home/.docker");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::filesystem::path& p, const std::string& registry, const std::string& up) {
    std::ofstream(p) << R"({"auths":{")" << registry << R"(":{"auth":")" << EncodeBase64(up)
                     << R"("}}})";
  }
  std::filesystem::path dir_;
};

TEST_F(CredentialsFileTest, LookupOrder) {
  Write(dir_ / "home/.docker/config.json", "r.io", "home:1");
  Write(dir_ / "auth.json", "r.io", "env:2");
  CredentialSources s;
  s.home = (dir_ / "home").string();
  EXPECT_EQ(MUST(LookupCredentials("r.io", s)), (Credentials{"home", "1"}));
  EXPECT_FALSE(MUST(LookupCredentials("other.io", s)).has_value());
  s.registry_auth_file = (dir_ / "auth.json").string();
  EXPECT_EQ(MUST(LookupCredentials("r.io", s)), (Credentials{"env", "2"}));
  s.creds_flag = "flag:3";
  EXPECT_EQ(MUST(LookupCredentials("r.io", s)), (Credentials{"flag", "3"}));

  // A missing default file is no credentials; a missing $REGISTRY_AUTH_FILE is an error.
  CredentialSources empty;
  empty.home = (dir_ / "nohome").string();
  EXPECT_FALSE(MUST(LookupCredentials("r.io", empty)).has_value());
  empty.registry_auth_file = (dir_ / "missing.json").string();
  EXPECT_FALSE(LookupCredentials("r.io", empty).has_value());
  // $DOCKER_CONFIG overrides $HOME.
  std::filesystem::create_directories(dir_ / "dc");
  Write(dir_ / "dc/config.json", "r.io", "dc:4");
  CredentialSources dc;
  dc.home = (dir_ / "home").string();
  dc.docker_config_dir = (dir_ / "dc").string();
  EXPECT_EQ(MUST(LookupCredentials("r.io", dc)), (Credentials{"dc", "4"}));
}

}  // namespace
}  // namespace krata::oci
