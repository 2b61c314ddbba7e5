#include "oci/auth_challenge.h"

#include <gtest/gtest.h>

namespace krata::oci {
namespace {

TEST(AuthChallengeTest, DockerHubBearer) {
  auto cs = MUST(ParseAuthChallenges(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull")"));
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].Param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(cs[0].Param("service"), "registry.docker.io");
  EXPECT_EQ(cs[0].Param("scope"), "repository:library/debian:pull");
  EXPECT_EQ(cs[0].Param("error"), "");
}

TEST(AuthChallengeTest, BasicQuotingAndSeveralChallenges) {
  auto cs = MUST(ParseAuthChallenges(
      R"(Basic realm="Registry \"Realm\", x", BEARER Realm=https://t/x , service = s ,scope="a,b")"));
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].Param("realm"), "Registry \"Realm\", x");
  EXPECT_EQ(cs[1].scheme, "bearer");
  EXPECT_EQ(cs[1].Param("realm"), "https://t/x");
  EXPECT_EQ(cs[1].Param("service"), "s");
  EXPECT_EQ(cs[1].Param("scope"), "a,b");
  // A bare scheme and a token68 form.
  cs = MUST(ParseAuthChallenges("Negotiate abc==, Basic"));
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[1].scheme, "basic");
}

TEST(AuthChallengeTest, RejectsMalformed) {
  EXPECT_FALSE(ParseAuthChallenges(R"(Bearer realm="unterminated)").has_value());
  EXPECT_FALSE(ParseAuthChallenges(R"(Bearer realm="x" service="y")").has_value());
  EXPECT_FALSE(ParseAuthChallenges("=x").has_value());
  EXPECT_FALSE(ParseAuthChallenges(std::string(20000, 'a')).has_value());
  EXPECT_TRUE(MUST(ParseAuthChallenges("")).empty());
}

TEST(AuthChallengeTest, TokenResponses) {
  BearerToken t = MUST(ParseTokenResponse(R"({"token":"abc","expires_in":300})"));
  EXPECT_EQ(t.token, "abc");
  EXPECT_EQ(t.expires_in_s, 300);
  t = MUST(ParseTokenResponse(R"({"access_token":"xyz"})"));
  EXPECT_EQ(t.token, "xyz");
  EXPECT_EQ(t.expires_in_s, 60);
  EXPECT_FALSE(ParseTokenResponse(R"({"token":""})").has_value());
  EXPECT_FALSE(ParseTokenResponse(R"({"token":5})").has_value());
  EXPECT_FALSE(ParseTokenResponse("{\"token\":\"a\\r\\nX-Evil: 1\"}").has_value());
  EXPECT_FALSE(ParseTokenResponse(R"({"token":"a","expires_in":-5})").has_value());
}

}  // namespace
}  // namespace krata::oci
