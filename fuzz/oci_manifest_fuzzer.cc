// Fuzzes the OCI/Docker manifest, index and image-config parsers with arbitrary bytes (what
// a hostile registry or archive could serve). Invariants: no exception escapes; everything
// accepted respects the caps; every digest accepted re-parses to itself; the kind detector
// agrees with the parser that succeeded; a selected index entry is one of the entries and
// runs on the requested platform.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "oci/image_config.h"
#include "oci/manifest.h"
#include "oci/media_types.h"

using namespace krata::oci;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckDigest(const Digest& d) {
  krata::Result<Digest> again = Digest::Parse(d.ToString());
  Check(again.has_value() && *again == d);
  Check(d.hex().size() == (d.algorithm() == DigestAlgorithm::kSha256 ? 64u : 128u));
}

void CheckDescriptor(const Descriptor& d) {
  Check(d.size >= 0);
  CheckDigest(d.digest);
}

void FuzzOne(std::string_view doc, std::string_view content_type) {
  krata::Result<ManifestKind> kind = DetectManifestKind(doc, content_type);
  krata::Result<Manifest> m = ParseManifest(doc, content_type);
  if (m.has_value()) {
    Check(kind.has_value() && *kind == ManifestKind::kManifest);
    Check(media::IsManifest(m->media_type));
    Check(m->layers.size() <= kMaxLayers);
    Check(m->config.size <= static_cast<int64_t>(kMaxConfigBytes));
    CheckDescriptor(m->config);
    for (const Descriptor& l : m->layers) CheckDescriptor(l);
  }
  krata::Result<Index> idx = ParseIndex(doc, content_type);
  if (idx.has_value()) {
    Check(kind.has_value() && *kind == ManifestKind::kIndex);
    Check(!m.has_value());
    Check(media::IsIndex(idx->media_type));
    Check(idx->manifests.size() <= kMaxIndexEntries);
    for (const Descriptor& d : idx->manifests) CheckDescriptor(d);
    for (const Platform& want : {DefaultPlatform(), Platform{"linux", "arm64", "", ""},
                                 Platform{"linux", "arm", "v7", ""}}) {
      krata::Result<Descriptor> pick = SelectManifest(*idx, want);
      if (!pick.has_value()) continue;
      bool found = false;
      for (const Descriptor& d : idx->manifests) found |= d.digest == pick->digest;
      Check(found);
      Check(!pick->platform.has_value() || PlatformMatches(want, *pick->platform));
    }
  }
  if (kind.has_value() && !m.has_value() && !idx.has_value()) {
    // The detector may accept what the full parser refuses, never the reverse (checked
    // above); nothing more to assert.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view doc(reinterpret_cast<const char*>(data), size);
  FuzzOne(doc, "");
  FuzzOne(doc, media::kDockerManifest);
  FuzzOne(doc, media::kOciIndex);
  krata::Result<ImageConfig> c = ParseImageConfig(doc);
  if (c.has_value()) {
    Check(c->diff_ids.size() <= kMaxLayers);
    for (const Digest& d : c->diff_ids) CheckDigest(d);
  }
  return 0;
}
