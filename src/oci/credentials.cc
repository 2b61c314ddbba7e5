#include "oci/credentials.h"

#include <cerrno>
#include <cstdlib>

#include "base/file.h"
#include "oci/json_util.h"
#include "oci/reference.h"

namespace krata::oci {
namespace {

constexpr std::string_view kOp = "credentials";
constexpr size_t kMaxAuthFileBytes = 1 << 20;
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Sextet(char c) {
  size_t pos = kAlphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

// "https://index.docker.io/v1/" -> "index.docker.io"; "quay.io" -> "quay.io".
std::string_view HostOfKey(std::string_view key) {
  size_t scheme = key.find("://");
  if (scheme != std::string_view::npos) key = key.substr(scheme + 3);
  size_t slash = key.find('/');
  return key.substr(0, slash);
}

bool IsDockerHubHost(std::string_view host) {
  return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io";
}

bool KeyMatches(std::string_view key, std::string_view registry) {
  std::string_view host = HostOfKey(key);
  if (host == registry) return true;
  return IsDockerHubHost(registry) && IsDockerHubHost(host);
}

}  // namespace

Result<Credentials> ParseCredsFlag(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Error::Invalid(kOp, "--creds must be USER:PASS");
  }
  return Credentials{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

Result<std::string> DecodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return Error::Invalid("base64", "length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + static_cast<size_t>(k)];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return Error::Invalid("base64", "data after padding");
      v[k] = Sextet(c);
      if (v[k] < 0) return Error::Invalid("base64", "invalid character");
    }
    uint32_t n = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                 (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out.push_back(static_cast<char>(n >> 16));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

std::string EncodeBase64(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (size_t i = 0; i < data.size(); i += 3) {
    size_t n = std::min<size_t>(3, data.size() - i);
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(data[i])) << 16;
    if (n > 1) v |= static_cast<uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8;
    if (n > 2) v |= static_cast<unsigned char>(data[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(n > 1 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back(n > 2 ? kAlphabet[v & 63] : '=');
  }
  return out;
}

Result<std::optional<Credentials>> FindInAuthFile(std::string_view json_text,
                                                  std::string_view registry) {
  using json_util::Json;
  if (json_text.size() > kMaxAuthFileBytes) return Error::Invalid(kOp, "auth file too large");
  Json j = TRY(json_util::ParseObject(json_text, "auth file"));
  const Json* auths = TRY(json_util::OptObject(j, "auths", "auth file"));
  if (auths == nullptr) return std::optional<Credentials>();
  // An exact key wins over a normalised one ("https://host/v1/").
  const Json* entry = nullptr;
  for (auto it = auths->begin(); it != auths->end(); ++it) {
    if (it.key() == registry) {
      entry = &it.value();
      break;
    }
    if (entry == nullptr && KeyMatches(it.key(), registry)) entry = &it.value();
  }
  if (entry == nullptr) return std::optional<Credentials>();
  if (!entry->is_object()) return Error::Invalid("auth file", "auths entry is not an object");
  std::optional<std::string> auth = TRY(json_util::OptString(*entry, "auth", "auth file"));
  if (auth.has_value() && !auth->empty()) {
    Result<std::string> decoded = DecodeBase64(*auth);
    if (!decoded.has_value()) return std::move(decoded.error()).With("auth file entry");
    Result<Credentials> c = ParseCredsFlag(*decoded);
    if (!c.has_value()) return Error::Invalid("auth file", "\"auth\" is not base64(user:pass)");
    return std::optional<Credentials>(std::move(*c));
  }
  std::optional<std::string> user = TRY(json_util::OptString(*entry, "username", "auth file"));
  std::optional<std::string> pass = TRY(json_util::OptString(*entry, "password", "auth file"));
  if (user.has_value() && !user->empty()) {
    return std::optional<Credentials>(Credentials{*user, pass.value_or("")});
  }
  return std::optional<Credentials>();
}

CredentialSources CredentialSources::FromEnvironment(std::optional<std::string> creds_flag) {
  CredentialSources s;
  s.creds_flag = std::move(creds_flag);
  auto env = [](const char* name) {
    const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read at startup
    return std::string(v == nullptr ? "" : v);
  };
  s.registry_auth_file = env("REGISTRY_AUTH_FILE");
  s.docker_config_dir = env("DOCKER_CONFIG");
  s.home = env("HOME");
  return s;
}

Result<std::optional<Credentials>> LookupCredentials(std::string_view registry,
                                                     const CredentialSources& sources) {
  if (sources.creds_flag.has_value()) {
    return std::optional<Credentials>(TRY(ParseCredsFlag(*sources.creds_flag)));
  }
  if (!sources.registry_auth_file.empty()) {
    Result<std::string> text = ReadFile(sources.registry_auth_file, kMaxAuthFileBytes);
    if (!text.has_value()) return std::move(text.error()).With("$REGISTRY_AUTH_FILE");
    Result<std::optional<Credentials>> c = FindInAuthFile(*text, registry);
    if (!c.has_value()) return std::move(c.error()).With(sources.registry_auth_file);
    return c;
  }
  std::string path;
  if (!sources.docker_config_dir.empty()) {
    path = sources.docker_config_dir + "/config.json";
  } else if (!sources.home.empty()) {
    path = sources.home + "/.docker/config.json";
  } else {
    return std::optional<Credentials>();
  }
  Result<std::string> text = ReadFile(path, kMaxAuthFileBytes);
  if (!text.has_value()) {
    if (text.error().errno_value() == ENOENT) return std::optional<Credentials>();
    return std::move(text.error()).With(path);
  }
  Result<std::optional<Credentials>> c = FindInAuthFile(*text, registry);
  if (!c.has_value()) return std::move(c.error()).With(path);
  return c;
}

}  // namespace krata::oci
