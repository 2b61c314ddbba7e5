#pragma once
// `docker save` archives (docker-archive:FILE[:REF|:@N]): a tar whose manifest.json lists
// images as [{"Config": path, "RepoTags": [...], "Layers": [path...]}] (moby
// image/tarexport). Layers are tars referenced by path ("<id>/layer.tar" or
// "blobs/sha256/<hex>"), so their digests are computed here, and a Docker v2s2 manifest is
// synthesised for them.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/local/blob_store.h"
#include "oci/local/image_source.h"

namespace krata::oci::local {

inline constexpr size_t kMaxDockerArchiveImages = 4096;
inline constexpr size_t kMaxRepoTags = 4096;

struct DockerArchiveImage {
  std::string config;                  // member path, IsSafeMemberPath
  std::vector<std::string> repo_tags;  // as written; may be empty
  std::vector<std::string> layers;     // member paths, IsSafeMemberPath, at most kMaxLayers
};

// Parses manifest.json (untrusted: capped at kMaxManifestBytes, every path checked).
Result<std::vector<DockerArchiveImage>> ParseDockerArchiveManifest(std::string_view bytes);

// Which image `ref` names: "" = the only one, "@N" = the Nth, else a RepoTags entry
// (compared as written and after docker normalisation, so "debian" finds
// "docker.io/library/debian:latest").
Result<size_t> SelectDockerArchiveImage(const std::vector<DockerArchiveImage>& images,
                                        const std::string& ref);

Result<std::unique_ptr<ImageSource>> OpenDockerArchive(std::unique_ptr<BlobStore> store,
                                                       std::string ref);

}  // namespace krata::oci::local
