#include "oci/cli/pack_image.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "oci/local/image_source.h"
#include "oci/media_types.h"
#include "oci/pack/pack.h"
#include "oci/resolve.h"

namespace krata::oci::cli {
namespace {

namespace fs = std::filesystem;

// A resolved image and where its blobs come from: a registry, or a local layout/archive.
struct Resolved {
  std::string source;
  std::unique_ptr<RegistryClient> client;       // docker://
  std::unique_ptr<local::ImageSource> archive;  // oci:, oci-archive:, docker-archive:
  ResolvedImage image;

  // Copies each descs[i] to paths[i], verified; registry downloads run in parallel.
  Status Fetch(const std::vector<Descriptor>& descs, const std::vector<std::string>& paths,
               int parallelism) {
    if (client) {
      return FetchBlobsToFiles(*client, image.reference.repository, descs, paths, parallelism);
    }
    for (size_t i = 0; i < descs.size(); ++i) TRY(archive->FetchBlob(descs[i], paths[i]));
    return {};
  }
};

Result<Resolved> Resolve(const std::string& source, const RemoteOptions& remote) {
  ImageReference ref = TRY(ParseImageReference(source));
  Platform wanted = DefaultPlatform();
  if (remote.platform.has_value()) wanted = TRY(ParsePlatform(*remote.platform));
  Resolved r;
  if (ref.transport == Transport::kDocker) {
    r.client = TRY(ConnectRegistry(ref.docker, remote.tls_verify,
                                   CredentialSources::FromEnvironment(remote.creds)));
    r.image = TRY(ResolveImage(*r.client, ref.docker, wanted));
    r.source = r.image.reference.ToString();
  } else {
    r.source = ref.ToString();
    r.archive = TRY(local::OpenLocalSource(ref));
    r.image = TRY(r.archive->Resolve(wanted));
  }
  return r;
}

pack::LayerFormat FormatOf(const Descriptor& d) {
  Result<media::Compression> c = media::LayerCompression(d.media_type);
  if (!c.has_value()) return pack::LayerFormat::kDetect;
  switch (*c) {
    case media::Compression::kNone:
      return pack::LayerFormat::kTar;
    case media::Compression::kGzip:
      return pack::LayerFormat::kTarGzip;
    case media::Compression::kZstd:
      return pack::LayerFormat::kTarZstd;
  }
  return pack::LayerFormat::kDetect;
}

// Prints per-layer download progress on stderr by watching the ".partial" files that
// FetchBlobToFile writes, until Stop().
class DownloadProgress {
 public:
  DownloadProgress(const std::vector<Descriptor>& descs, const std::vector<std::string>& paths)
      : descs_(descs), paths_(paths), thread_([this] { Run(); }) {}
  ~DownloadProgress() { Stop(); }
  void Stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Print(bool final) {
    std::string line = "\rdownloading:";
    for (size_t i = 0; i < descs_.size(); ++i) {
      struct stat st {};
      uint64_t have = 0;
      if (::stat(paths_[i].c_str(), &st) == 0) {
        have = static_cast<uint64_t>(descs_[i].size);
      } else if (::stat((paths_[i] + ".partial").c_str(), &st) == 0) {
        have = static_cast<uint64_t>(st.st_size);
      }
      line += " [" + std::to_string(i + 1) + "] " + std::to_string(have >> 10) + "/" +
              std::to_string(static_cast<uint64_t>(descs_[i].size) >> 10) + "K";
    }
    std::fprintf(stderr, "%s%s", line.c_str(), final ? "\n" : "");
  }
  void Run() {
    std::unique_lock<std::mutex> l(mu_);
    while (!cv_.wait_for(l, std::chrono::milliseconds(200), [this] { return stop_; })) {
      Print(false);
    }
    Print(true);
  }

  const std::vector<Descriptor>& descs_;
  const std::vector<std::string>& paths_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

void PrintPackProgress(const pack::PackProgress& p) {
  if (p.phase == pack::PackPhase::kFinish || p.phase == pack::PackPhase::kDone) {
    bool done = p.phase == pack::PackPhase::kDone;
    std::fprintf(stderr, "\r%s: %llu K data%s", done ? "packed" : "finishing",
                 static_cast<unsigned long long>(p.data_bytes >> 10),
                 done ? "                              \n" : "");
    return;
  }
  const char* phase = p.phase == pack::PackPhase::kScan ? "scanning" : "packing";
  std::fprintf(stderr, "\r%s layer %zu/%zu: %llu/%llu K, %llu K data    ", phase, p.layer + 1,
               p.layer_count, static_cast<unsigned long long>(p.layer_bytes_read >> 10),
               static_cast<unsigned long long>(p.layer_bytes_total >> 10),
               static_cast<unsigned long long>(p.data_bytes >> 10));
}

// Downloads the image's layers into a fresh work directory and packs them into target.
Result<uint64_t> FetchAndPack(const ImageCache& cache, Resolved& r, const PackRequest& req,
                              const std::string& target) {
  ImageCache::WorkDir work = TRY(cache.MakeWorkDir());
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } cleanup{work.path};

  const std::vector<Descriptor>& descs = r.image.layers();
  std::vector<std::string> paths;
  for (size_t i = 0; i < descs.size(); ++i) {
    paths.push_back(work.path + "/layer-" + std::to_string(i));
  }
  {
    std::optional<DownloadProgress> progress;
    if (req.progress) progress.emplace(descs, paths);
    TRY(r.Fetch(descs, paths, req.parallelism));
  }
  std::vector<pack::Layer> layers;
  for (size_t i = 0; i < descs.size(); ++i) {
    layers.push_back(pack::Layer{.path = paths[i], .format = FormatOf(descs[i])});
  }
  pack::ProgressFn progress_fn;
  if (req.progress) progress_fn = PrintPackProgress;
  pack::PackOptions options;
  options.format = *pack::ParseImageFormat(req.format);
  // Compression is the bottleneck of squashfs packing (erofs is stored uncompressed): zstd at
  // level 3 compresses several times faster than gzip -9 into about the same size, and
  // decompresses faster in the guest (Debian's kernel has CONFIG_SQUASHFS_ZSTD); on every core.
  options.squashfs.compressor = pack::SquashfsCompressor::kZstd;
  options.squashfs.level = 3;
  options.squashfs.workers = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  options.consume_layers = true;  // the work directory's blobs go as soon as pass 2 is done
  pack::PackResult result = TRY(pack::PackImage(layers, target, options, progress_fn));
  return result.image_bytes;
}

}  // namespace

Result<PackOutcome> PackImage(const PackRequest& req) {
  if (!pack::ParseImageFormat(req.format)) {
    return Error::Invalid("pack", "unknown format \"" + req.format + "\" (squashfs or erofs)");
  }
  Resolved r = TRY(Resolve(req.source, req.remote));
  PackOutcome out;
  out.manifest_digest = r.image.manifest_digest;
  ImageCache cache(req.store);
  TRY(cache.Init());
  if (!req.use_cache) {
    if (req.output.empty()) return Error::Invalid("pack", "no output and no cache");
    out.image_bytes = TRY(FetchAndPack(cache, r, req, req.output));
    out.layers_downloaded = r.image.layers().size();
    return out;
  }
  // The lock serialises makers of one entry; a second pack waits here, then finds the entry.
  UniqueFd lock = TRY(cache.LockEntry(out.manifest_digest, req.format));
  std::string entry = cache.ImagePath(out.manifest_digest, req.format);
  struct stat st {};
  if (::stat(entry.c_str(), &st) == 0) {
    out.cache_hit = true;
    out.image_bytes = static_cast<uint64_t>(st.st_size);
  } else {
    out.image_bytes = TRY(FetchAndPack(cache, r, req, entry));
    out.layers_downloaded = r.image.layers().size();
    CacheEntry meta;
    meta.digest = out.manifest_digest;
    meta.format = req.format;
    meta.size = out.image_bytes;
    meta.reference = r.source;
    meta.platform = r.image.platform.ToString();
    meta.created = static_cast<int64_t>(std::time(nullptr));
    TRY(cache.WriteMetadata(meta));
  }
  out.cache_path = entry;
  if (!req.output.empty()) TRY(CopyFileAtomic(entry, req.output));
  return out;
}

Result<std::string> InspectImage(const std::string& source, const RemoteOptions& remote) {
  Resolved r = TRY(Resolve(source, remote));
  return InspectJson(r.image);
}

}  // namespace krata::oci::cli
