#pragma once
// Where the packer reads an image from, whatever the transport: Resolve gives the same
// ResolvedImage the registry path gives (oci/resolve.h), FetchBlob copies one blob to a file
// that exists only once its size and digest are verified. Local transports
// (containers-transports(5)): oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REF].

#include <memory>
#include <string>

#include "base/result.h"
#include "oci/manifest.h"
#include "oci/platform.h"
#include "oci/reference.h"
#include "oci/resolve.h"

namespace krata::oci::local {

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // Picks the image (by tag, then platform), reads and verifies manifest and config.
  virtual Result<ResolvedImage> Resolve(const Platform& wanted) = 0;
  // Copies the blob of `desc` (the config or a layer of the resolved image) to dest through
  // "dest.partial"; nothing is left at either name on error. Call Resolve first.
  virtual Status FetchBlob(const Descriptor& desc, const std::string& dest) = 0;
};

// For kOciLayout, kOciArchive and kDockerArchive; an error for kDocker (use ResolveImage).
Result<std::unique_ptr<ImageSource>> OpenLocalSource(const ImageReference& ref);

}  // namespace krata::oci::local
