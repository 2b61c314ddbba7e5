#include "oci/resolve.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <thread>

#include "base/file.h"
#include "oci/json_util.h"

namespace krata::oci {

Result<std::unique_ptr<RegistryClient>> ConnectRegistry(const DockerReference& ref, bool tls_verify,
                                                        const CredentialSources& sources) {
  RegistryOptions options;
  options.tls_verify = tls_verify;
  options.credentials = TRY(LookupCredentials(ref.registry, sources));
  return std::make_unique<RegistryClient>(ref.ApiHost(), std::move(options));
}

std::string InspectJson(const ResolvedImage& image) {
  using json_util::Json;
  Json layers = Json::array();
  for (size_t i = 0; i < image.manifest.layers.size(); ++i) {
    const Descriptor& d = image.manifest.layers[i];
    Json l = {{"media_type", d.media_type}, {"digest", d.digest.ToString()}, {"size", d.size}};
    if (i < image.config.diff_ids.size()) l["diff_id"] = image.config.diff_ids[i].ToString();
    layers.push_back(std::move(l));
  }
  const ImageConfig& c = image.config;
  Json out = {
      {"name", image.reference.ToString()},
      {"manifest_digest", image.manifest_digest.ToString()},
      {"manifest_media_type", image.manifest.media_type},
      {"config_digest", image.manifest.config.digest.ToString()},
      {"platform", image.platform.ToString()},
      {"layers", std::move(layers)},
      {"config",
       {{"user", c.user},
        {"env", c.env},
        {"entrypoint", c.entrypoint},
        {"cmd", c.cmd},
        {"working_dir", c.working_dir},
        {"exposed_ports", c.exposed_ports},
        {"labels", c.labels},
        {"stop_signal", c.stop_signal}}},
  };
  if (image.index_digest) out["index_digest"] = image.index_digest->ToString();
  // Strings come from the registry and are valid UTF-8 (nlohmann's parser checked them);
  // replace rather than throw if that ever changes.
  return out.dump(2, ' ', false, Json::error_handler_t::replace);
}

Result<ResolvedImage> ResolveImage(RegistryClient& client, const DockerReference& ref,
                                   const Platform& wanted) {
  ResolvedImage out;
  out.reference = ref;
  FetchedManifest top = TRY(client.GetManifest(ref.repository, ref.ManifestReference()));
  ManifestKind kind = TRY(DetectManifestKind(top.bytes, top.content_type));
  FetchedManifest chosen;
  if (kind == ManifestKind::kIndex) {
    Index index = TRY(ParseIndex(top.bytes, top.content_type));
    Descriptor entry = TRY(SelectManifest(index, wanted));
    out.index_digest = top.digest;
    chosen = TRY(client.GetManifest(ref.repository, entry.digest.ToString()));
    if (chosen.bytes.size() != static_cast<uint64_t>(entry.size)) {
      return Error::Invalid("resolve", "manifest " + entry.digest.ToString() + " is " +
                                           std::to_string(chosen.bytes.size()) +
                                           " bytes, the index says " + std::to_string(entry.size));
    }
  } else {
    chosen = std::move(top);
  }
  out.manifest = TRY(ParseManifest(chosen.bytes, chosen.content_type));
  out.manifest_digest = chosen.digest;
  out.manifest_bytes = std::move(chosen.bytes);
  out.config_bytes = TRY(client.GetBlobBytes(ref.repository, out.manifest.config, kMaxConfigBytes));
  TRY(FinishResolve(out, wanted, ref.ToString()));
  return out;
}

Status FinishResolve(ResolvedImage& out, const Platform& wanted, const std::string& name) {
  out.config = TRY(ParseImageConfig(out.config_bytes));
  const Platform& from_config = out.config.platform;
  if (!from_config.os.empty() && !from_config.architecture.empty()) {
    if (!PlatformMatches(wanted, from_config)) {
      return Error::Invalid("resolve", name + " is built for " +
                                           NormalizePlatform(from_config).ToString() + ", not " +
                                           NormalizePlatform(wanted).ToString());
    }
    out.platform = NormalizePlatform(from_config);
  } else {
    out.platform = NormalizePlatform(wanted);
  }
  if (!out.config.diff_ids.empty() && out.config.diff_ids.size() != out.manifest.layers.size()) {
    return Error::Invalid("resolve", "config lists " + std::to_string(out.config.diff_ids.size()) +
                                         " diff_ids for " +
                                         std::to_string(out.manifest.layers.size()) + " layers");
  }
  return {};
}

Status FetchBlobToFile(RegistryClient& client, std::string_view repository, const Descriptor& desc,
                       const std::string& path) {
  std::string partial = path + ".partial";
  UniqueFd fd = TRY(OpenFile(partial, O_WRONLY | O_CREAT | O_TRUNC, 0644));
  FileBlobSink sink(fd.get());
  Status s = client.GetBlob(repository, desc, sink);
  if (s.has_value() && ::fsync(fd.get()) != 0) s = Error::FromErrno("fsync", errno, partial);
  fd.reset();
  if (s.has_value() && ::rename(partial.c_str(), path.c_str()) != 0) {
    s = Error::FromErrno("rename", errno, path);
  }
  if (!s.has_value()) {
    ::unlink(partial.c_str());
    return s;
  }
  return {};
}

Status FetchBlobsToFiles(RegistryClient& client, std::string_view repository,
                         const std::vector<Descriptor>& descs,
                         const std::vector<std::string>& paths, int parallelism) {
  if (descs.size() != paths.size()) return Error::Invalid("fetch", "descs/paths size mismatch");
  std::vector<Status> results(descs.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < descs.size();) {
      results[i] = FetchBlobToFile(client, repository, descs[i], paths[i]);
    }
  };
  size_t n = std::min<size_t>(std::max(1, parallelism), descs.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < n; ++t) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].has_value())
      return std::move(results[i].error()).With("layer " + std::to_string(i));
  }
  return {};
}

}  // namespace krata::oci
