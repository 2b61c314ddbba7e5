#pragma once
// OciImageService: the real ImageService over krata-oci (src/oci/cli): PackImage fills the
// content-addressed cache <store>/cache/image/, and the image's process settings (OCI config
// Entrypoint, Cmd, Env, WorkingDir, User) are kept beside it in
// <store>/cache/image-config/<algo>-<hex>.json, so a launch needs no registry.
//
// Progress is coarse (resolving, packing, done): PackImage reports its own progress only on
// stderr.

#include <string>

#include "daemon/image_service.h"

namespace krata::daemon {

class OciImageService : public ImageService {
 public:
  explicit OciImageService(std::string store) : store_(std::move(store)) {}
  Result<PulledImage> Pull(const std::string& image, const std::string& format,
                           const PullProgressFn& progress) override;
  Result<CachedImage> Find(const std::string& digest, const std::string& format) override;

 private:
  std::string store_;
};

// "alpine:latest" -> "docker://alpine:latest"; sources with a transport are kept.
std::string ImageSource(const std::string& image);

}  // namespace krata::daemon
