#include "oci/reference.h"

#include <array>

namespace krata::oci {
namespace {

constexpr size_t kMaxNameLength = 255;  // distribution/reference NameTotalLengthMax
constexpr size_t kMaxSourceLength = 4096;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// One path component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*  (distribution/reference regexp.go).
bool IsValidPathComponent(std::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) return false;
  size_t i = 0;
  while (i < c.size()) {
    if (IsLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    // A separator run: ".", "_", "__" or one or more "-"; must be followed by alnum.
    size_t start = i;
    if (c[i] == '.') {
      ++i;
    } else if (c[i] == '_') {
      ++i;
      if (i < c.size() && c[i] == '_') ++i;
    } else if (c[i] == '-') {
      while (i < c.size() && c[i] == '-') ++i;
    } else {
      return false;
    }
    if (i == start || i >= c.size() || !IsLowerAlnum(c[i])) return false;
  }
  return true;
}

// A DNS label: alnum, or alnum [alnum-]* alnum.
bool IsValidHostLabel(std::string_view l) {
  if (l.empty() || !IsAlnum(l.front()) || !IsAlnum(l.back())) return false;
  for (char c : l) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

bool IsValidPort(std::string_view p) {
  if (p.empty() || p.size() > 5) return false;
  unsigned v = 0;
  for (char c : p) {
    if (!IsDigit(c)) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v > 0 && v <= 65535;
}

// Splits "name[:tag][@digest]" into its parts without validating them.
struct NameParts {
  std::string_view name, tag, digest;
  bool has_tag = false, has_digest = false;
};

NameParts SplitName(std::string_view s) {
  NameParts p;
  size_t at = s.find('@');
  if (at != std::string_view::npos) {
    p.digest = s.substr(at + 1);
    p.has_digest = true;
    s = s.substr(0, at);
  }
  size_t slash = s.rfind('/');
  size_t colon = s.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    p.tag = s.substr(colon + 1);
    p.has_tag = true;
    s = s.substr(0, colon);
  }
  p.name = s;
  return p;
}

// A registry is named by the first component when it looks like a host (docker's
// splitDockerDomain): it contains '.' or ':' or is "localhost" — or has upper case, which a
// repository cannot.
bool LooksLikeRegistry(std::string_view first) {
  if (first == "localhost") return true;
  for (char c : first) {
    if (c == '.' || c == ':' || (c >= 'A' && c <= 'Z')) return true;
  }
  return false;
}

}  // namespace

bool IsValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  if (!(IsAlnum(tag[0]) || tag[0] == '_')) return false;
  for (char c : tag) {
    if (!(IsAlnum(c) || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

bool IsValidRepository(std::string_view repo) {
  if (repo.empty() || repo.size() > kMaxNameLength) return false;
  size_t start = 0;
  for (;;) {
    size_t slash = repo.find('/', start);
    std::string_view comp =
        repo.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!IsValidPathComponent(comp)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

bool IsValidRegistryHost(std::string_view host) {
  if (host.empty() || host.size() > kMaxNameLength) return false;
  std::string_view port;
  if (host.front() == '[') {  // [IPv6]:port
    size_t close = host.find(']');
    if (close == std::string_view::npos || close < 2) return false;
    for (char c : host.substr(1, close - 1)) {
      if (!(IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
            c == '.')) {
        return false;
      }
    }
    std::string_view rest = host.substr(close + 1);
    if (rest.empty()) return true;
    return rest[0] == ':' && IsValidPort(rest.substr(1));
  }
  size_t colon = host.find(':');
  if (colon != std::string_view::npos) {
    if (!IsValidPort(host.substr(colon + 1))) return false;
    host = host.substr(0, colon);
  }
  size_t start = 0;
  for (;;) {
    size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!IsValidHostLabel(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::string DockerReference::ApiHost() const {
  return registry == kDockerHubDomain ? "registry-1.docker.io" : registry;
}

std::string DockerReference::ManifestReference() const {
  return digest.has_value() ? digest->ToString() : tag;
}

std::string DockerReference::ToString() const {
  std::string out = registry + "/" + repository;
  if (!tag.empty()) out += ":" + tag;
  if (digest.has_value()) out += "@" + digest->ToString();
  return out;
}

Result<DockerReference> ParseDockerReference(std::string_view text) {
  auto fail = [&](std::string why) {
    return Error::Invalid("image reference",
                          std::move(why) + " in \"" + std::string(text.substr(0, 300)) + "\"");
  };
  if (text.empty()) return fail("empty name");
  if (text.size() > kMaxSourceLength) return fail("name too long");
  NameParts parts = SplitName(text);
  DockerReference ref;
  std::string_view remainder = parts.name;
  size_t slash = parts.name.find('/');
  if (slash != std::string_view::npos && LooksLikeRegistry(parts.name.substr(0, slash))) {
    ref.registry = parts.name.substr(0, slash);
    remainder = parts.name.substr(slash + 1);
    if (!IsValidRegistryHost(ref.registry)) return fail("invalid registry host");
  } else {
    ref.registry = kDockerHubDomain;
  }
  if (ref.registry == "index.docker.io") ref.registry = kDockerHubDomain;
  if (ref.registry == kDockerHubDomain && remainder.find('/') == std::string_view::npos) {
    ref.repository = "library/" + std::string(remainder);
  } else {
    ref.repository = remainder;
  }
  if (!IsValidRepository(ref.repository)) {
    for (char c : ref.repository) {
      if (c >= 'A' && c <= 'Z') return fail("repository name must be lower-case");
    }
    return fail("invalid repository name");
  }
  if (ref.registry.size() + 1 + ref.repository.size() > kMaxNameLength) {
    return fail("name longer than 255 characters");
  }
  if (parts.has_tag) {
    if (!IsValidTag(parts.tag)) return fail("invalid tag \"" + std::string(parts.tag) + "\"");
    ref.tag = parts.tag;
  }
  if (parts.has_digest) {
    Result<Digest> d = Digest::Parse(parts.digest);
    if (!d.has_value()) return fail(d.error().message());
    ref.digest = std::move(*d);
  }
  if (!parts.has_tag && !parts.has_digest) ref.tag = "latest";
  return ref;
}

Result<ImageReference> ParseImageReference(std::string_view source) {
  if (source.size() > kMaxSourceLength) {
    return Error::Invalid("image reference", "source longer than 4096 characters");
  }
  size_t colon = source.find(':');
  if (colon == std::string_view::npos) {
    return Error::Invalid("image reference",
                          "missing transport in \"" + std::string(source) +
                              "\" (use docker://, oci:, oci-archive: or docker-archive:)");
  }
  std::string_view transport = source.substr(0, colon);
  std::string_view rest = source.substr(colon + 1);
  ImageReference ref;
  if (transport == "docker") {
    if (rest.substr(0, 2) != "//") {
      return Error::Invalid("image reference", "docker transport needs docker://NAME");
    }
    ref.transport = Transport::kDocker;
    ref.docker = TRY(ParseDockerReference(rest.substr(2)));
    return ref;
  }
  if (transport == "oci") {
    ref.transport = Transport::kOciLayout;
  } else if (transport == "oci-archive") {
    ref.transport = Transport::kOciArchive;
  } else if (transport == "docker-archive") {
    ref.transport = Transport::kDockerArchive;
  } else {
    return Error::Invalid("image reference",
                          "unknown transport \"" + std::string(transport.substr(0, 64)) + "\"");
  }
  // Like containers/image's SplitPathAndImage: the path ends at the first ':'.
  size_t sep = rest.find(':');
  ref.path = rest.substr(0, sep);
  if (sep != std::string_view::npos) ref.tag = rest.substr(sep + 1);
  if (ref.path.empty())
    return Error::Invalid("image reference", "empty path in \"" + std::string(source) + "\"");
  if (sep != std::string_view::npos && ref.tag.empty()) {
    return Error::Invalid("image reference",
                          "empty tag after ':' in \"" + std::string(source) + "\"");
  }
  if (!ref.tag.empty()) {
    if (ref.transport == Transport::kDockerArchive) {
      if (ref.tag[0] == '@') {
        std::string_view idx = std::string_view(ref.tag).substr(1);
        if (idx.empty() || idx.size() > 9) {
          return Error::Invalid("image reference", "bad docker-archive index \"" + ref.tag + "\"");
        }
        for (char c : idx) {
          if (!IsDigit(c)) {
            return Error::Invalid("image reference",
                                  "bad docker-archive index \"" + ref.tag + "\"");
          }
        }
      } else {
        TRY(ParseDockerReference(ref.tag));
      }
    } else {
      // OCI ref names (image-spec annotations.md, org.opencontainers.image.ref.name): the
      // tag grammar extended with '/', ':', '@' and '+' as containers/image accepts.
      for (char c : ref.tag) {
        if (!(IsAlnum(c) || c == '_' || c == '.' || c == '-' || c == '/' || c == ':' || c == '@' ||
              c == '+')) {
          return Error::Invalid("image reference", "invalid OCI ref name \"" + ref.tag + "\"");
        }
      }
    }
  }
  return ref;
}

std::string ImageReference::ToString() const {
  switch (transport) {
    case Transport::kDocker:
      return "docker://" + docker.ToString();
    case Transport::kOciLayout:
      return "oci:" + path + (tag.empty() ? "" : ":" + tag);
    case Transport::kOciArchive:
      return "oci-archive:" + path + (tag.empty() ? "" : ":" + tag);
    case Transport::kDockerArchive:
      return "docker-archive:" + path + (tag.empty() ? "" : ":" + tag);
  }
  return {};
}

}  // namespace krata::oci
