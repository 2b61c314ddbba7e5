#include "oci/local/docker_archive.h"

#include <charconv>
#include <map>
#include <utility>

#include "oci/json_util.h"
#include "oci/resolve.h"
#include "oci/media_types.h"
#include "oci/reference.h"

namespace krata::oci::local {
namespace {

using json_util::Json;
constexpr std::string_view kOp = "docker-archive";

Result<std::string> MemberPath(const Json& v, std::string_view what) {
  if (!v.is_string()) return Error::Invalid(kOp, std::string(what) + ": expected a string");
  const std::string& s = v.get_ref<const std::string&>();
  if (!IsSafeMemberPath(s)) {
    return Error::Invalid(kOp, std::string(what) + ": unsafe path \"" + s.substr(0, 200) + "\"");
  }
  return s;
}

// Layer media type from the first bytes: docker save writes plain tars, but nothing stops a
// hand-made archive from holding compressed ones.
std::string_view SniffLayerType(std::string_view head) {
  if (head.size() >= 2 && head[0] == '\x1f' && head[1] == '\x8b') return media::kDockerLayerGzip;
  if (head.size() >= 4 && head.substr(0, 4) == std::string_view("\x28\xb5\x2f\xfd", 4)) {
    return media::kOciLayerZstd;
  }
  // Docker's own "application/vnd.docker.image.rootfs.diff.tar" is not in media_types.h;
  // the OCI name means the same bytes.
  return media::kOciLayerTar;
}

class DockerArchiveSource : public ImageSource {
 public:
  DockerArchiveSource(std::unique_ptr<BlobStore> store, std::string ref)
      : store_(std::move(store)), ref_(std::move(ref)) {}

  Result<ResolvedImage> Resolve(const Platform& wanted) override {
    std::string bytes = TRY(ReadSmall(*store_, "manifest.json", kMaxManifestBytes));
    std::vector<DockerArchiveImage> images = TRY(ParseDockerArchiveManifest(bytes));
    size_t pick = TRY(WithContext(SelectDockerArchiveImage(images, ref_), store_->name()));
    const DockerArchiveImage& image = images[pick];

    ResolvedImage out;
    if (!image.repo_tags.empty()) {
      Result<DockerReference> r = ParseDockerReference(image.repo_tags[0]);
      if (r.has_value()) out.reference = std::move(*r);
    }
    out.config_bytes = TRY(ReadSmall(*store_, image.config, kMaxConfigBytes));
    Digest config_digest = ComputeDigest(out.config_bytes);
    paths_.clear();
    paths_[config_digest.ToString()] = image.config;

    Json layers = Json::array();
    std::vector<bool> compressed;
    for (const std::string& path : image.layers) {
      Hasher hasher;
      std::string head;
      TRY(store_->Stream(path, UINT64_MAX, [&](std::string_view c) -> Status {
        if (head.size() < 4) head.append(c.substr(0, 4 - head.size()));
        hasher.Update(c);
        return {};
      }));
      uint64_t size = hasher.size();
      Digest d = hasher.Finish();
      std::string_view type = SniffLayerType(head);
      compressed.push_back(type != media::kOciLayerTar);
      paths_[d.ToString()] = path;
      layers.push_back({{"mediaType", type}, {"digest", d.ToString()}, {"size", size}});
    }
    Json manifest = {
        {"schemaVersion", 2},
        {"mediaType", media::kDockerManifest},
        {"config",
         {{"mediaType", media::kDockerConfig},
          {"digest", config_digest.ToString()},
          {"size", out.config_bytes.size()}}},
        {"layers", std::move(layers)},
    };
    out.manifest_bytes = manifest.dump();
    out.manifest_digest = ComputeDigest(out.manifest_bytes);
    out.manifest = TRY(ParseManifest(out.manifest_bytes, media::kDockerManifest));
    TRY(FinishResolve(out, wanted, store_->name()));
    // For plain tars the layer digest is the diff_id: a mismatch means a corrupt archive.
    for (size_t i = 0; i < out.config.diff_ids.size(); ++i) {
      if (compressed[i]) continue;
      TRY(CheckDigest(out.config.diff_ids[i], out.manifest.layers[i].digest,
                      store_->name() + " " + image.layers[i]));
    }
    return out;
  }

  Status FetchBlob(const Descriptor& desc, const std::string& dest) override {
    auto it = paths_.find(desc.digest.ToString());
    if (it == paths_.end()) {
      return Error::Invalid(kOp, desc.digest.ToString() + " is not part of the resolved image");
    }
    return CopyVerified(*store_, it->second, desc, dest);
  }

 private:
  std::unique_ptr<BlobStore> store_;
  std::string ref_;
  std::map<std::string, std::string> paths_;  // digest -> member path, filled by Resolve
};

}  // namespace

Result<std::vector<DockerArchiveImage>> ParseDockerArchiveManifest(std::string_view bytes) {
  if (bytes.size() > kMaxManifestBytes) return Error::Invalid(kOp, "manifest.json is too large");
  Json json = Json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Error::Invalid(kOp, "manifest.json is not JSON");
  if (!json.is_array()) return Error::Invalid(kOp, "manifest.json is not an array");
  if (json.empty()) return Error::Invalid(kOp, "manifest.json lists no images");
  if (json.size() > kMaxDockerArchiveImages) return Error::Invalid(kOp, "too many images");
  std::vector<DockerArchiveImage> out;
  for (const Json& entry : json) {
    if (!entry.is_object()) return Error::Invalid(kOp, "manifest.json entry is not an object");
    DockerArchiveImage image;
    auto config = entry.find("Config");
    if (config == entry.end()) return Error::Invalid(kOp, "entry has no Config");
    image.config = TRY(MemberPath(*config, "Config"));
    image.repo_tags = TRY(json_util::OptStringArray(entry, "RepoTags", kOp))
                          .value_or(std::vector<std::string>{});
    if (image.repo_tags.size() > kMaxRepoTags) return Error::Invalid(kOp, "too many RepoTags");
    const Json* layers = TRY(json_util::OptArray(entry, "Layers", kOp));
    if (layers == nullptr) return Error::Invalid(kOp, "entry has no Layers");
    if (layers->size() > kMaxLayers) return Error::Invalid(kOp, "too many layers");
    for (const Json& l : *layers) image.layers.push_back(TRY(MemberPath(l, "Layers")));
    out.push_back(std::move(image));
  }
  return out;
}

Result<size_t> SelectDockerArchiveImage(const std::vector<DockerArchiveImage>& images,
                                        const std::string& ref) {
  if (ref.empty()) {
    if (images.size() == 1) return size_t{0};
    return Error::Invalid(kOp, "the archive holds " + std::to_string(images.size()) +
                                   " images; name one with :REF or :@N");
  }
  if (ref[0] == '@') {
    size_t n = 0;
    std::string_view digits(ref.data() + 1, ref.size() - 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size()) {
      return Error::Invalid(kOp, "bad image index \"" + ref.substr(0, 64) + "\"");
    }
    if (n >= images.size()) {
      return Error::Invalid(kOp, "image index " + std::to_string(n) + " out of range (" +
                                     std::to_string(images.size()) + " images)");
    }
    return n;
  }
  Result<DockerReference> wanted = ParseDockerReference(ref);
  for (size_t i = 0; i < images.size(); ++i) {
    for (const std::string& t : images[i].repo_tags) {
      if (t == ref) return i;
      if (!wanted.has_value()) continue;
      Result<DockerReference> have = ParseDockerReference(t);
      if (have.has_value() && *have == *wanted) return i;
    }
  }
  return Error::Invalid(kOp, "no image tagged \"" + ref.substr(0, 128) + "\"");
}

Result<std::unique_ptr<ImageSource>> OpenDockerArchive(std::unique_ptr<BlobStore> store,
                                                       std::string ref) {
  // Parse manifest.json now so a wrong file fails at open time.
  std::string bytes = TRY(WithContext(ReadSmall(*store, "manifest.json", kMaxManifestBytes),
                                      store->name() + " is not a docker-archive"));
  TRY(ParseDockerArchiveManifest(bytes));
  return std::unique_ptr<ImageSource>(
      std::make_unique<DockerArchiveSource>(std::move(store), std::move(ref)));
}

}  // namespace krata::oci::local
