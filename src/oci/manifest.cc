#include "oci/manifest.h"

#include <algorithm>

#include "oci/json_util.h"
#include "oci/media_types.h"

namespace krata::oci {
namespace {

using json_util::Json;

constexpr std::string_view kOp = "manifest";

// "type/subtype; charset=utf-8" -> "type/subtype".
std::string_view StripParams(std::string_view content_type) {
  size_t semi = content_type.find(';');
  std::string_view t = content_type.substr(0, semi);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  return t;
}

Error Schema1Error() {
  return Error::Invalid(kOp,
                        "Docker image manifest schema 1 is not supported (deprecated and "
                        "unverifiable); re-push the image with a current client");
}

Result<Platform> ParsePlatformJson(const Json& obj) {
  Platform p;
  p.os = TRY(json_util::ReqString(obj, "os", "platform"));
  p.architecture = TRY(json_util::ReqString(obj, "architecture", "platform"));
  p.variant = TRY(json_util::OptString(obj, "variant", "platform")).value_or("");
  p.os_version = TRY(json_util::OptString(obj, "os.version", "platform")).value_or("");
  return p;
}

Result<Descriptor> ParseDescriptor(const Json& obj, std::string_view what) {
  if (!obj.is_object()) return Error::Invalid(what, "descriptor is not an object");
  Descriptor d;
  d.media_type = TRY(json_util::ReqString(obj, "mediaType", what));
  std::string digest = TRY(json_util::ReqString(obj, "digest", what));
  Result<Digest> parsed = Digest::Parse(digest);
  if (!parsed.has_value()) return std::move(parsed.error()).With(what);
  d.digest = std::move(*parsed);
  std::optional<int64_t> size = TRY(json_util::OptNonNegInt(obj, "size", what));
  if (!size.has_value()) return Error::Invalid(what, "descriptor has no size");
  d.size = *size;
  d.urls = TRY(json_util::OptStringArray(obj, "urls", what)).value_or(std::vector<std::string>{});
  d.annotations = TRY(json_util::OptStringMap(obj, "annotations", what));
  const Json* platform = TRY(json_util::OptObject(obj, "platform", what));
  if (platform != nullptr) d.platform = TRY(ParsePlatformJson(*platform));
  return d;
}

// Checks size and schemaVersion and finds the media type; shared by all parsers.
struct Envelope {
  Json json;
  std::string media_type;  // from the document or the Content-Type; may be empty
};

Result<Envelope> OpenDocument(std::string_view bytes, std::string_view content_type,
                              size_t max_bytes) {
  if (bytes.size() > max_bytes) {
    return Error::Invalid(kOp, "document of " + std::to_string(bytes.size()) +
                                   " bytes exceeds the cap of " + std::to_string(max_bytes));
  }
  Envelope env;
  env.json = TRY(json_util::ParseObject(bytes, kOp));
  std::optional<int64_t> schema = TRY(json_util::OptNonNegInt(env.json, "schemaVersion", kOp));
  std::string_view header_type = StripParams(content_type);
  if ((schema.has_value() && *schema == 1) || media::IsSchema1(header_type)) {
    return Schema1Error();
  }
  if (!schema.has_value() || *schema != 2) {
    return Error::Invalid(kOp, "schemaVersion must be 2");
  }
  env.media_type = TRY(json_util::OptString(env.json, "mediaType", kOp)).value_or("");
  if (env.media_type.empty()) env.media_type = header_type;
  if (media::IsSchema1(env.media_type)) return Schema1Error();
  return env;
}

Result<ManifestKind> KindOf(const Envelope& env) {
  const std::string& t = env.media_type;
  if (media::IsManifest(t)) return ManifestKind::kManifest;
  if (media::IsIndex(t)) return ManifestKind::kIndex;
  // OCI allows mediaType to be absent; fall back to the document's shape.
  if (t.empty() || t == "application/json" || t == "application/octet-stream") {
    if (env.json.contains("manifests")) return ManifestKind::kIndex;
    if (env.json.contains("config") || env.json.contains("layers")) return ManifestKind::kManifest;
  }
  return Error::Invalid(kOp, "unsupported manifest media type \"" + t.substr(0, 200) + "\"");
}

}  // namespace

Result<ManifestKind> DetectManifestKind(std::string_view bytes, std::string_view content_type) {
  Envelope env =
      TRY(OpenDocument(bytes, content_type, std::max(kMaxManifestBytes, kMaxIndexBytes)));
  return KindOf(env);
}

Result<Manifest> ParseManifest(std::string_view bytes, std::string_view content_type) {
  Envelope env = TRY(OpenDocument(bytes, content_type, kMaxManifestBytes));
  if (TRY(KindOf(env)) != ManifestKind::kManifest) {
    return Error::Invalid(kOp, "expected an image manifest, got an index");
  }
  Manifest m;
  m.media_type =
      media::IsManifest(env.media_type) ? env.media_type : std::string(media::kOciManifest);
  const Json* config = TRY(json_util::OptObject(env.json, "config", kOp));
  if (config == nullptr) return Error::Invalid(kOp, "manifest has no config descriptor");
  m.config = TRY(ParseDescriptor(*config, "manifest config"));
  if (m.config.size > static_cast<int64_t>(kMaxConfigBytes)) {
    return Error::Invalid(kOp, "config size " + std::to_string(m.config.size) + " exceeds cap");
  }
  const Json* layers = TRY(json_util::OptArray(env.json, "layers", kOp));
  if (layers == nullptr) return Error::Invalid(kOp, "manifest has no layers array");
  if (layers->size() > kMaxLayers) {
    return Error::Invalid(kOp, "manifest has " + std::to_string(layers->size()) + " layers");
  }
  for (size_t i = 0; i < layers->size(); ++i) {
    m.layers.push_back(TRY(ParseDescriptor((*layers)[i], "layer " + std::to_string(i))));
  }
  m.annotations = TRY(json_util::OptStringMap(env.json, "annotations", kOp));
  return m;
}

Result<Index> ParseIndex(std::string_view bytes, std::string_view content_type) {
  Envelope env = TRY(OpenDocument(bytes, content_type, kMaxIndexBytes));
  if (TRY(KindOf(env)) != ManifestKind::kIndex) {
    return Error::Invalid(kOp, "expected an image index, got a manifest");
  }
  Index idx;
  idx.media_type = media::IsIndex(env.media_type) ? env.media_type : std::string(media::kOciIndex);
  const Json* manifests = TRY(json_util::OptArray(env.json, "manifests", kOp));
  if (manifests == nullptr) return Error::Invalid(kOp, "index has no manifests array");
  if (manifests->size() > kMaxIndexEntries) {
    return Error::Invalid(kOp, "index has " + std::to_string(manifests->size()) + " entries");
  }
  for (size_t i = 0; i < manifests->size(); ++i) {
    idx.manifests.push_back(
        TRY(ParseDescriptor((*manifests)[i], "index entry " + std::to_string(i))));
  }
  idx.annotations = TRY(json_util::OptStringMap(env.json, "annotations", kOp));
  return idx;
}

Result<Descriptor> ParseDescriptorJson(std::string_view bytes) {
  if (bytes.size() > kMaxManifestBytes) return Error::Invalid("descriptor", "too large");
  Json j = TRY(json_util::ParseObject(bytes, "descriptor"));
  return ParseDescriptor(j, "descriptor");
}

Result<Descriptor> SelectManifest(const Index& index, const Platform& wanted) {
  std::vector<std::optional<Platform>> candidates;
  std::string available;
  for (const Descriptor& d : index.manifests) {
    if (media::IsManifest(d.media_type) && d.platform.has_value()) {
      candidates.push_back(d.platform);
      if (!available.empty()) available += ", ";
      available += d.platform->ToString();
    } else {
      candidates.push_back(std::nullopt);
    }
  }
  std::optional<size_t> pick = SelectPlatform(wanted, candidates);
  if (!pick.has_value() && index.manifests.size() == 1 &&
      media::IsManifest(index.manifests[0].media_type) && !index.manifests[0].platform) {
    pick = 0;  // a single-image index without platforms; the config's platform decides later
  }
  if (!pick.has_value()) {
    return Error::Invalid("platform",
                          "no manifest for " + NormalizePlatform(wanted).ToString() +
                              " (available: " + (available.empty() ? "none" : available) + ")");
  }
  if (index.manifests[*pick].size > static_cast<int64_t>(kMaxManifestBytes)) {
    return Error::Invalid("platform", "selected manifest size exceeds cap");
  }
  return index.manifests[*pick];
}

}  // namespace krata::oci
