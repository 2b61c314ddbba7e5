#pragma once
// Image manifests and indexes (image-spec manifest.md, image-index.md, descriptor.md) and
// Docker v2 schema 2 manifests and manifest lists, parsed from untrusted bytes: sizes are
// capped before parsing, every field is type-checked, digests are strict. Schema 1 is
// refused with its own error. Pure: no I/O.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/digest.h"
#include "oci/platform.h"

namespace krata::oci {

// Caps for documents read into memory (containerd uses 4 MiB for manifests and indexes).
inline constexpr size_t kMaxManifestBytes = 4 << 20;
inline constexpr size_t kMaxIndexBytes = 4 << 20;
inline constexpr size_t kMaxConfigBytes = 8 << 20;
// More layers than any real image has (overlayfs stacks at most ~128); bounds work per image.
inline constexpr size_t kMaxLayers = 1024;
inline constexpr size_t kMaxIndexEntries = 4096;

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;  // index entries only
};

struct Manifest {
  std::string media_type;  // kOciManifest or kDockerManifest
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};

struct Index {
  std::string media_type;  // kOciIndex or kDockerManifestList
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

enum class ManifestKind { kManifest, kIndex };

// Decides whether bytes are a manifest or an index: the document's mediaType field, else the
// HTTP Content-Type (parameters ignored), else the shape (a "manifests" array means an
// index). Schema 1 (schemaVersion 1 or its media types) and unknown types are errors.
Result<ManifestKind> DetectManifestKind(std::string_view bytes, std::string_view content_type = {});

Result<Manifest> ParseManifest(std::string_view bytes, std::string_view content_type = {});
Result<Index> ParseIndex(std::string_view bytes, std::string_view content_type = {});

// Parses one descriptor object (exposed for layout/archive index.json readers).
Result<Descriptor> ParseDescriptorJson(std::string_view bytes);

// The entry of `index` for `wanted` (see SelectPlatform); an error listing the available
// platforms when none fits. Entries that are not manifests (attestations, nested indexes)
// are skipped.
Result<Descriptor> SelectManifest(const Index& index, const Platform& wanted);

}  // namespace krata::oci
