#include "daemon/fake_image_service.h"

#include <cerrno>

namespace krata::daemon {

void FakeImageService::Add(const std::string& reference, const std::string& digest,
                           zone::ImageProcess process) {
  std::lock_guard<std::mutex> l(mu_);
  digests_[reference] = digest;
  images_[digest] = std::move(process);
}

Result<PulledImage> FakeImageService::Pull(const std::string& image, const std::string& format,
                                           const PullProgressFn& progress) {
  std::string digest;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = digests_.find(image);
    if (it == digests_.end()) return Error::FromErrno("pull", ENOENT, image + ": not found");
    digest = it->second;
  }
  if (progress) {
    progress({.phase = "downloading", .done = 50, .total = 100});
    progress({.phase = "packing", .done = 100, .total = 100});
  }
  return PulledImage{.digest = digest, .format = format};
}

Result<CachedImage> FakeImageService::Find(const std::string& digest, const std::string& format) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = images_.find(digest);
  if (it == images_.end()) return Error::FromErrno("image", ENOENT, digest + " not cached");
  return CachedImage{.path = "/fake/" + digest + "." + format, .process = it->second};
}

}  // namespace krata::daemon
