// Fuzzes WWW-Authenticate challenge parsing and token responses, both read from a registry.
// Invariants: schemes are lower-case tokens, parameter names are lower-case, the number of
// challenges is bounded, and an accepted token has no header-splitting characters.

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "oci/auth_challenge.h"

using namespace krata::oci;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  krata::Result<std::vector<AuthChallenge>> cs = ParseAuthChallenges(text);
  if (cs.has_value()) {
    if (cs->size() > 16) std::abort();
    for (const AuthChallenge& c : *cs) {
      if (c.scheme.empty()) std::abort();
      for (char ch : c.scheme) {
        if (std::isupper(static_cast<unsigned char>(ch)) || ch == ' ' || ch == ',') std::abort();
      }
      for (const auto& [name, value] : c.params) {
        if (name.empty()) std::abort();
        for (char ch : name) {
          if (std::isupper(static_cast<unsigned char>(ch))) std::abort();
        }
        if (value.size() > size) std::abort();
      }
    }
  }
  krata::Result<BearerToken> t = ParseTokenResponse(text);
  if (t.has_value()) {
    if (t->token.empty() || t->expires_in_s <= 0) std::abort();
    if (t->token.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) std::abort();
  }
  return 0;
}
