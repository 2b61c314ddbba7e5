#pragma once
// ImageService: what kratad needs from the OCI side. PullImage packs an image into the cache;
// the reconciler later finds it again by (digest, format). The real one (OciImageService,
// oci_image_service.h) sits on krata-oci's cache and packer; tests use a fake.
//
// Thread-safe.

#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "zone/config/launch_config.h"

namespace krata::daemon {

struct PullProgress {
  std::string phase{};  // "resolving", "downloading", "packing", "done"
  uint64_t done = 0;
  uint64_t total = 0;
  std::string detail{};
};
using PullProgressFn = std::function<void(const PullProgress&)>;

struct PulledImage {
  std::string digest;  // manifest digest
  std::string format;  // "squashfs" | "erofs"
};

struct CachedImage {
  std::string path;            // the packed image file
  zone::ImageProcess process;  // from the image config
};

class ImageService {
 public:
  virtual ~ImageService() = default;
  // `image`: a reference ("alpine:latest") or a krata-oci source ("docker://...", "oci:DIR").
  // EINVAL for a bad reference or format; other errors from the registry or the packer.
  virtual Result<PulledImage> Pull(const std::string& image, const std::string& format,
                                   const PullProgressFn& progress) = 0;
  // ENOENT when the image is not in the cache.
  virtual Result<CachedImage> Find(const std::string& digest, const std::string& format) = 0;
};

}  // namespace krata::daemon
