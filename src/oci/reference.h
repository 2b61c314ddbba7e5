#pragma once
// Image references in skopeo's transport syntax (containers-transports(5)):
//   docker://[REGISTRY/]REPO[:TAG][@DIGEST]   a registry image
//   oci:DIR[:TAG]                             an OCI image layout directory
//   oci-archive:FILE[:TAG]                    a tar of an OCI image layout
//   docker-archive:FILE[:REF|:@INDEX]         a `docker save` tarball
// Registry names are normalised as docker does (distribution/reference, normalize.go): no
// registry means docker.io, a single path component on docker.io gets "library/", the default
// tag is "latest". Pure parsing, no I/O.

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "oci/digest.h"

namespace krata::oci {

inline constexpr std::string_view kDockerHubDomain = "docker.io";

struct DockerReference {
  std::string registry;    // "docker.io", "quay.io", "127.0.0.1:5000", "[::1]:5000"
  std::string repository;  // "library/debian"
  std::string tag;         // "latest" unless given; kept alongside a digest if both given
  std::optional<Digest> digest;

  // The host the registry API lives on: registry-1.docker.io for docker.io, else registry.
  std::string ApiHost() const;
  // What to ask the registry for: the digest if pinned, else the tag.
  std::string ManifestReference() const;
  // "docker.io/library/debian:latest" or ".../repo@sha256:..." (tag kept when both given).
  std::string ToString() const;
  friend bool operator==(const DockerReference&, const DockerReference&) = default;
};

enum class Transport { kDocker, kOciLayout, kOciArchive, kDockerArchive };

struct ImageReference {
  Transport transport = Transport::kDocker;
  DockerReference docker;  // kDocker only
  std::string path;        // kOciLayout, kOciArchive, kDockerArchive: the directory or file
  // kOciLayout/kOciArchive: the ref name to pick from index.json (empty: the only image).
  // kDockerArchive: a docker reference or "@N" (an index into manifest.json); may be empty.
  std::string tag;

  std::string ToString() const;  // back in transport syntax
};

// Parses SOURCE; errors name the rule broken (unknown transport, bad tag, ...).
Result<ImageReference> ParseImageReference(std::string_view source);

// Parses and normalises a docker name like "debian", "user/app:1", "quay.io/x/y@sha256:...".
Result<DockerReference> ParseDockerReference(std::string_view name);

// Validators exposed for tests and for the docker-archive/OCI layout code.
bool IsValidTag(std::string_view tag);                // [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
bool IsValidRepository(std::string_view repository);  // lower-case path components
bool IsValidRegistryHost(std::string_view host);      // host[:port], [v6]:port

}  // namespace krata::oci
