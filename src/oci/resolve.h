#pragma once
// Resolving a registry reference to everything a packer needs: manifest (through an index
// when the tag names a multi-platform image), config and layer descriptors, all verified.
// And downloading blobs to files that exist only once verified.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/credentials.h"
#include "oci/image_config.h"
#include "oci/manifest.h"
#include "oci/platform.h"
#include "oci/reference.h"
#include "oci/registry.h"

namespace krata::oci {

struct ResolvedImage {
  DockerReference reference;
  std::optional<Digest> index_digest;  // set when the reference named an index
  Digest manifest_digest;              // the platform manifest's digest (the image identity)
  std::string manifest_bytes;          // verified original bytes
  Manifest manifest;
  std::string config_bytes;  // verified original bytes
  ImageConfig config;
  Platform platform;  // from the config (normalised), else the requested one

  const std::vector<Descriptor>& layers() const { return manifest.layers; }
};

// A client for ref's registry (ApiHost) with credentials from `sources` looked up under
// ref.registry (so docker.io finds "https://index.docker.io/v1/" entries).
Result<std::unique_ptr<RegistryClient>> ConnectRegistry(const DockerReference& ref, bool tls_verify,
                                                        const CredentialSources& sources);

// GET the manifest for ref; if it is an index pick `wanted`'s entry and GET that by digest;
// then GET and parse the config. Errors: a single-platform image whose config names a
// different OS/architecture than wanted, diff_ids that do not match the layer count.
Result<ResolvedImage> ResolveImage(RegistryClient& client, const DockerReference& ref,
                                   const Platform& wanted);

// The checks every source applies once manifest and config bytes are in `out`: parses the
// config into out.config, fills out.platform (from the config, which must fit `wanted`), and
// checks that diff_ids match the layer count. `name` is for messages.
Status FinishResolve(ResolvedImage& out, const Platform& wanted, const std::string& name);

// What `krata-oci inspect` prints: {"name", "index_digest"?, "manifest_digest",
// "manifest_media_type", "platform", "layers": [{"media_type","digest","size","diff_id"?}],
// "config": {user, env, entrypoint, cmd, working_dir, exposed_ports, labels, stop_signal}}.
std::string InspectJson(const ResolvedImage& image);

// Downloads a blob to `path` through "<path>.partial", renamed into place only after size
// and digest are verified; on any error no file is left at either name.
Status FetchBlobToFile(RegistryClient& client, std::string_view repository, const Descriptor& desc,
                       const std::string& path);

// FetchBlobToFile for each (descs[i], paths[i]) with up to `parallelism` downloads at once.
// Returns the first error (by index); the other downloads still finish or clean up.
Status FetchBlobsToFiles(RegistryClient& client, std::string_view repository,
                         const std::vector<Descriptor>& descs,
                         const std::vector<std::string>& paths, int parallelism = 4);

}  // namespace krata::oci
