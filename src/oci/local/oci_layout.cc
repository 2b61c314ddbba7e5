#include "oci/local/oci_layout.h"

#include <utility>

#include "oci/json_util.h"
#include "oci/resolve.h"
#include "oci/media_types.h"

namespace krata::oci::local {
namespace {

constexpr uint64_t kMaxLayoutFileBytes = 64 << 10;
// index -> nested index -> manifest is what skopeo/buildkit write; deeper is refused.
constexpr int kMaxIndexDepth = 2;

std::string RefNames(const Index& index) {
  std::string names;
  for (const Descriptor& d : index.manifests) {
    auto it = d.annotations.find(std::string(kRefNameAnnotation));
    if (it == d.annotations.end()) continue;
    if (!names.empty()) names += ", ";
    names += it->second.substr(0, 128);
  }
  return names.empty() ? "none" : names;
}

class OciLayoutSource : public ImageSource {
 public:
  OciLayoutSource(std::unique_ptr<BlobStore> store, std::string tag)
      : store_(std::move(store)), tag_(std::move(tag)) {}

  Result<ResolvedImage> Resolve(const Platform& wanted) override {
    std::string index_bytes = TRY(ReadSmall(*store_, "index.json", kMaxIndexBytes));
    Index index = TRY(ParseIndex(index_bytes, media::kOciIndex));
    Descriptor entry = TRY(WithContext(SelectLayoutEntry(index, tag_, wanted), store_->name()));
    ResolvedImage out;
    for (int depth = 0; media::IsIndex(entry.media_type); ++depth) {
      if (depth >= kMaxIndexDepth) {
        return Error::Invalid("resolve", store_->name() + ": indexes nested too deep");
      }
      std::string bytes = TRY(ReadVerifiedBlob(*store_, entry, kMaxIndexBytes));
      Index nested = TRY(ParseIndex(bytes, entry.media_type));
      out.index_digest = entry.digest;
      entry = TRY(SelectManifest(nested, wanted));
    }
    if (!media::IsManifest(entry.media_type)) {
      return Error::Invalid("resolve", store_->name() + ": entry " + entry.digest.ToString() +
                                           " has media type " + entry.media_type.substr(0, 200) +
                                           ", not a manifest");
    }
    out.manifest_bytes = TRY(ReadVerifiedBlob(*store_, entry, kMaxManifestBytes));
    out.manifest = TRY(ParseManifest(out.manifest_bytes, entry.media_type));
    out.manifest_digest = entry.digest;
    out.config_bytes = TRY(ReadVerifiedBlob(*store_, out.manifest.config, kMaxConfigBytes));
    TRY(FinishResolve(out, wanted, store_->name()));
    return out;
  }

  Status FetchBlob(const Descriptor& desc, const std::string& dest) override {
    return CopyVerified(*store_, BlobPath(desc.digest), desc, dest);
  }

 private:
  std::unique_ptr<BlobStore> store_;
  std::string tag_;
};

}  // namespace

Result<Descriptor> SelectLayoutEntry(const Index& index, const std::string& tag,
                                     const Platform& wanted) {
  if (tag.empty()) {
    if (index.manifests.size() == 1) return index.manifests[0];
    if (index.manifests.empty()) return Error::Invalid("resolve", "index.json lists no images");
    return Error::Invalid("resolve", "index.json lists " + std::to_string(index.manifests.size()) +
                                         " images; name one with :TAG (available: " +
                                         RefNames(index) + ")");
  }
  Index named;
  named.media_type = index.media_type;
  for (const Descriptor& d : index.manifests) {
    auto it = d.annotations.find(std::string(kRefNameAnnotation));
    if (it != d.annotations.end() && it->second == tag) named.manifests.push_back(d);
  }
  if (named.manifests.empty()) {
    return Error::Invalid("resolve", "no image named \"" + tag.substr(0, 128) +
                                         "\" (available: " + RefNames(index) + ")");
  }
  if (named.manifests.size() == 1) return named.manifests[0];
  return SelectManifest(named, wanted);
}

Result<std::unique_ptr<ImageSource>> OpenOciLayout(std::unique_ptr<BlobStore> store,
                                                   std::string tag) {
  std::string layout = TRY(WithContext(ReadSmall(*store, "oci-layout", kMaxLayoutFileBytes),
                                            store->name() + " is not an OCI image layout"));
  json_util::Json json = TRY(json_util::ParseObject(layout, "oci-layout"));
  std::string version = TRY(json_util::ReqString(json, "imageLayoutVersion", "oci-layout"));
  if (version != "1.0.0") {
    return Error::Invalid("oci-layout", store->name() + ": unsupported imageLayoutVersion \"" +
                                            version.substr(0, 64) + "\"");
  }
  return std::unique_ptr<ImageSource>(
      std::make_unique<OciLayoutSource>(std::move(store), std::move(tag)));
}

}  // namespace krata::oci::local
