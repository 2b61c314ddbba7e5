#pragma once
// Registry credentials, looked up in this order (issue 4): --creds USER:PASS, else the file
// named by $REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json or ~/.docker/config.json.
// Auth files use docker's format: {"auths": {"<host>": {"auth": base64("user:pass")}}}; keys
// may carry a scheme and path ("https://index.docker.io/v1/" is docker.io). Credential
// helpers (credsStore, credHelpers) are not run.

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace krata::oci {

struct Credentials {
  std::string username;
  std::string password;
  friend bool operator==(const Credentials&, const Credentials&) = default;
};

// "USER:PASS" (split at the first ':'; the user must not be empty).
Result<Credentials> ParseCredsFlag(std::string_view text);

// Strict RFC 4648 base64 (padding required, no whitespace).
Result<std::string> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::string_view data);

// The entry for `registry` (e.g. "docker.io", "127.0.0.1:5000") in an auth file's text, or
// nullopt when there is none. Pure.
Result<std::optional<Credentials>> FindInAuthFile(std::string_view json_text,
                                                  std::string_view registry);

struct CredentialSources {
  std::optional<std::string> creds_flag;  // --creds
  std::string registry_auth_file;         // $REGISTRY_AUTH_FILE, empty when unset
  std::string docker_config_dir;          // $DOCKER_CONFIG, empty when unset
  std::string home;                       // $HOME

  // Fills the environment-derived fields from the process environment.
  static CredentialSources FromEnvironment(std::optional<std::string> creds_flag);
};

// Walks the sources in order. A missing default docker config is not an error; a missing or
// malformed file named by $REGISTRY_AUTH_FILE is.
Result<std::optional<Credentials>> LookupCredentials(std::string_view registry,
                                                     const CredentialSources& sources);

}  // namespace krata::oci
