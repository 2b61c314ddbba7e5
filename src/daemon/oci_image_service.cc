#include "daemon/oci_image_service.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "base/json_util.h"
#include "oci/cli/image_cache.h"
#include "oci/cli/pack_image.h"
#include "oci/digest.h"

namespace krata::daemon {
namespace {

using json_util::Json;

std::string ConfigPath(const std::string& store, const oci::Digest& d) {
  return store + "/cache/image-config/" + std::string(d.algorithm_name()) + "-" + d.hex() + ".json";
}

// The inspect JSON's "config" object, as written by oci::InspectJson.
Result<zone::ImageProcess> ParseProcess(std::string_view text) {
  Json root = TRY(json_util::ParseObject(text, "image config"));
  const Json* cfg = TRY(json_util::OptObject(root, "config", "image config"));
  zone::ImageProcess p;
  if (cfg == nullptr) return p;
  p.entrypoint = TRY(json_util::OptStringArray(*cfg, "entrypoint", "config"))
                     .value_or(std::vector<std::string>{});
  p.cmd =
      TRY(json_util::OptStringArray(*cfg, "cmd", "config")).value_or(std::vector<std::string>{});
  p.env =
      TRY(json_util::OptStringArray(*cfg, "env", "config")).value_or(std::vector<std::string>{});
  p.working_dir = TRY(json_util::OptString(*cfg, "working_dir", "config")).value_or("");
  p.user = TRY(json_util::OptString(*cfg, "user", "config")).value_or("");
  return p;
}

Status WriteFileAtomic(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  {
    UniqueFd fd = TRY(OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    TRY(WriteAll(fd.get(), data));
    if (::fsync(fd.get()) != 0) return Error::FromErrno("fsync", errno, tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Error::FromErrno("rename", errno, path);
  return {};
}

}  // namespace

std::string ImageSource(const std::string& image) {
  for (std::string_view t : {"docker://", "oci:", "oci-archive:", "docker-archive:"}) {
    if (image.rfind(t, 0) == 0) return image;
  }
  return "docker://" + image;
}

Result<PulledImage> OciImageService::Pull(const std::string& image, const std::string& format,
                                          const PullProgressFn& progress) {
  std::string source = ImageSource(image);
  if (progress) progress({.phase = "resolving", .detail = source});
  // Inspect first for the config; the pack then resolves again and must land on the same
  // manifest (a tag that moved in between is reported, not mixed up).
  std::string inspect = TRY(oci::cli::InspectImage(source, {}));
  Json root = TRY(json_util::ParseObject(inspect, "inspect"));
  std::string digest_text = TRY(json_util::ReqString(root, "manifest_digest", "inspect"));
  oci::Digest digest = TRY(oci::Digest::Parse(digest_text));
  TRY(ParseProcess(inspect));

  oci::cli::ImageCache cache(store_);
  TRY(cache.Init());
  std::filesystem::create_directories(store_ + "/cache/image-config");
  if (progress) progress({.phase = "packing", .detail = digest_text});
  oci::cli::PackRequest req;
  req.source = source;
  req.format = format;
  req.store = store_;  // no output: the cache entry is the result
  Result<oci::cli::PackOutcome> packed = oci::cli::PackImage(req);
  if (!packed.has_value()) return std::move(packed.error());
  if (packed->manifest_digest.ToString() != digest_text) {
    return Error::FromErrno("pull", EAGAIN, source + " changed during the pull; retry");
  }
  TRY(WriteFileAtomic(ConfigPath(store_, digest), inspect));
  if (progress)
    progress({.phase = "done", .done = packed->image_bytes, .total = packed->image_bytes});
  return PulledImage{.digest = digest_text, .format = format};
}

Result<CachedImage> OciImageService::Find(const std::string& digest_text,
                                          const std::string& format) {
  oci::Digest digest = TRY(oci::Digest::Parse(digest_text));
  oci::cli::ImageCache cache(store_);
  CachedImage out;
  out.path = cache.ImagePath(digest, format);
  struct stat st {};
  if (::stat(out.path.c_str(), &st) != 0) {
    return Error::FromErrno("image", ENOENT, digest_text + " (" + format + ") is not in the cache");
  }
  std::string config = TRY(ReadFile(ConfigPath(store_, digest), 16 << 20));
  out.process = TRY(ParseProcess(config));
  return out;
}

}  // namespace krata::daemon
