#pragma once
// WWW-Authenticate challenges (RFC 7235 §4.1) as registries send them, e.g.
//   Bearer
//   realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull"
//   Basic realm="Registry Realm"
// and the token response of the distribution token protocol (distribution docs, token.md).
// Pure parsing, no I/O.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace krata::oci {

struct AuthChallenge {
  std::string scheme;                         // lower-case: "bearer", "basic"
  std::map<std::string, std::string> params;  // lower-case names, unquoted values

  std::string Param(std::string_view name) const;
};

// Parses one header value, which may hold several challenges ("Basic realm=x, Bearer ...").
// Malformed input is an error; token68 forms are accepted and ignored.
Result<std::vector<AuthChallenge>> ParseAuthChallenges(std::string_view header);

struct BearerToken {
  std::string token;
  int64_t expires_in_s = 60;  // the spec's default when the server sends none
};

// {"token": "...", "access_token": "...", "expires_in": N}; token wins over access_token.
Result<BearerToken> ParseTokenResponse(std::string_view body);

}  // namespace krata::oci
