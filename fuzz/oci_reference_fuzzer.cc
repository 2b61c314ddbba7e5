// Fuzzes image-reference parsing (skopeo transport syntax, docker name normalisation).
// Invariants: an accepted reference prints back to a string that parses to the same value
// (normalisation is idempotent), and its parts pass the validators.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "oci/reference.h"

using namespace krata::oci;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  krata::Result<ImageReference> r = ParseImageReference(text);
  if (!r.has_value()) return 0;
  krata::Result<ImageReference> again = ParseImageReference(r->ToString());
  if (!again.has_value()) std::abort();
  if (again->transport != r->transport || again->path != r->path || again->tag != r->tag ||
      !(again->docker == r->docker)) {
    std::abort();
  }
  if (r->transport == Transport::kDocker) {
    const DockerReference& d = r->docker;
    if (!IsValidRegistryHost(d.registry) || !IsValidRepository(d.repository)) std::abort();
    if (!d.tag.empty() && !IsValidTag(d.tag)) std::abort();
    if (d.tag.empty() && !d.digest.has_value()) std::abort();
    if (d.registry == kDockerHubDomain && d.repository.find('/') == std::string::npos) {
      std::abort();  // docker.io names always have a namespace (library/)
    }
  }
  return 0;
}
