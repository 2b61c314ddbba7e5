#include "oci/media_types.h"

#include <string>

namespace krata::oci::media {

Result<Compression> LayerCompression(std::string_view t) {
  if (t == kOciLayerTar || t == kOciLayerNdTar) return Compression::kNone;
  if (t == kOciLayerGzip || t == kOciLayerNdGzip || t == kDockerLayerGzip ||
      t == kDockerForeignLayerGzip) {
    return Compression::kGzip;
  }
  if (t == kOciLayerZstd || t == kOciLayerNdZstd) return Compression::kZstd;
  return Error::Invalid("layer",
                        "unsupported layer media type \"" + std::string(t.substr(0, 200)) + "\"");
}

bool IsManifest(std::string_view t) { return t == kOciManifest || t == kDockerManifest; }
bool IsIndex(std::string_view t) { return t == kOciIndex || t == kDockerManifestList; }
bool IsSchema1(std::string_view t) { return t == kDockerSchema1 || t == kDockerSchema1Signed; }

}  // namespace krata::oci::media
