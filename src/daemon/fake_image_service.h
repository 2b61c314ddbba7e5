#pragma once
// FakeImageService: images the test adds by hand; Pull reports two progress steps.

#include <map>
#include <mutex>

#include "daemon/image_service.h"

namespace krata::daemon {

class FakeImageService : public ImageService {
 public:
  // Pull(reference) will succeed with this digest.
  void Add(const std::string& reference, const std::string& digest, zone::ImageProcess process);
  Result<PulledImage> Pull(const std::string& image, const std::string& format,
                           const PullProgressFn& progress) override;
  Result<CachedImage> Find(const std::string& digest, const std::string& format) override;

 private:
  std::mutex mu_;
  std::map<std::string, std::string> digests_;  // reference -> digest
  std::map<std::string, zone::ImageProcess> images_;
};

}  // namespace krata::daemon
