#pragma once
// What `krata-oci pack` and `krata-oci inspect` do, as library calls (the tests drive these
// directly as well as through the binary).
//
// Pack: resolve SOURCE; with the cache, serve the entry for (manifest digest, format) if there
// is one, else (under the entry's flock) download the layers in parallel into a private work
// directory under the store, verified by digest, pack them into the cache entry and copy that
// to OUTPUT. Without the cache the layers are packed straight into OUTPUT. OUTPUT is always
// written through a temporary name and renamed; on error nothing is left behind.

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "oci/cli/image_cache.h"
#include "oci/digest.h"

namespace krata::oci::cli {

struct RemoteOptions {
  std::optional<std::string> platform;  // "OS/ARCH[/VARIANT]"; default linux/amd64
  std::optional<std::string> creds;     // "USER:PASS"
  bool tls_verify = true;
};

struct PackRequest {
  std::string source;  // transport syntax: docker://, oci:, oci-archive:, docker-archive:
  std::string output;  // empty: only fill the cache (PackOutcome::cache_path)
  std::string format = "squashfs";
  RemoteOptions remote;
  std::string store = std::string(kDefaultStore);
  bool use_cache = true;
  int parallelism = 4;
  bool progress = false;  // per-layer download and packing progress on stderr
};

struct PackOutcome {
  Digest manifest_digest;
  bool cache_hit = false;
  size_t layers_downloaded = 0;
  uint64_t image_bytes = 0;
  std::string cache_path;  // the cache entry, when the cache was used
};

Result<PackOutcome> PackImage(const PackRequest& request);

// InspectJson (oci/resolve.h) of the resolved image.
Result<std::string> InspectImage(const std::string& source, const RemoteOptions& remote);

}  // namespace krata::oci::cli
