// Fuzzes `docker save` manifest.json parsing (oci/local/docker_archive.h) and image
// selection. Invariants: an accepted manifest lists at least one image, every path it yields
// is a safe archive member path (so it can never name a file outside the archive) and is
// already normal, layer counts are capped, "@N" selects exactly N, and a RepoTags entry
// selects an image carrying it.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "oci/local/blob_store.h"
#include "oci/local/docker_archive.h"

using namespace krata::oci;
using namespace krata::oci::local;

namespace {

void CheckPath(const std::string& p) {
  if (!IsSafeMemberPath(p) || NormalizeMemberPath(p) != p) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  krata::Result<std::vector<DockerArchiveImage>> r = ParseDockerArchiveManifest(text);
  if (!r.has_value()) return 0;
  if (r->empty() || r->size() > kMaxDockerArchiveImages) std::abort();
  for (size_t i = 0; i < r->size(); ++i) {
    const DockerArchiveImage& image = (*r)[i];
    CheckPath(image.config);
    if (image.layers.size() > kMaxLayers) std::abort();
    for (const std::string& l : image.layers) CheckPath(l);
    krata::Result<size_t> by_index = SelectDockerArchiveImage(*r, "@" + std::to_string(i));
    if (!by_index.has_value() || *by_index != i) std::abort();
    for (const std::string& tag : image.repo_tags) {
      if (tag.empty() || tag[0] == '@') continue;
      krata::Result<size_t> by_tag = SelectDockerArchiveImage(*r, tag);
      if (!by_tag.has_value()) std::abort();
      bool carries = false;
      for (const std::string& t : (*r)[*by_tag].repo_tags) carries |= t == tag;
      // Normalised matches may pick an earlier image with an equivalent spelling.
      if (!carries && *by_tag > i) std::abort();
    }
  }
  krata::Result<size_t> only = SelectDockerArchiveImage(*r, "");
  if (only.has_value() != (r->size() == 1)) std::abort();
  return 0;
}
