// krata-oci: packs OCI images into bootable filesystem images and manages the image cache.
//   krata-oci pack [options] SOURCE OUTPUT
//   krata-oci inspect [options] SOURCE
//   krata-oci cache list|rm DIGEST|gc [--store DIR]
// Errors: one line "krata-oci: ..." and exit 1; usage errors exit 2.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "base/log.h"
#include "oci/cli/image_cache.h"
#include "oci/cli/pack_image.h"

namespace krata::oci::cli {
namespace {

constexpr const char* kSourceHelp =
    "Image: docker://REGISTRY/REPO[:TAG|@DIGEST], oci:DIR[:TAG], oci-archive:FILE[:TAG] or "
    "docker-archive:FILE";

int Fail(const Error& e) {
  std::fprintf(stderr, "krata-oci: %s\n", e.ToString().c_str());
  return 1;
}

void AddRemoteOptions(CLI::App* cmd, RemoteOptions& remote) {
  cmd->add_option("--platform", remote.platform, "OS/ARCH[/VARIANT] (default linux/amd64)");
  cmd->add_option("--creds", remote.creds, "USER:PASS for the registry");
  cmd->add_option("--tls-verify", remote.tls_verify, "Verify the registry's TLS certificate")
      ->default_str("true");
}

int RunCacheList(const ImageCache& cache) {
  Result<std::vector<CacheEntry>> entries = cache.List();
  if (!entries.has_value()) return Fail(entries.error());
  for (const CacheEntry& e : *entries) {
    std::printf("%s\t%s\t%llu\t%s\n", e.digest.ToString().c_str(), e.format.c_str(),
                static_cast<unsigned long long>(e.size), e.reference.c_str());
  }
  return 0;
}

int RunCacheRm(const ImageCache& cache, const std::string& digest_text) {
  Result<Digest> d = Digest::Parse(digest_text);
  if (!d.has_value()) return Fail(d.error());
  Result<int> n = cache.Remove(*d);
  if (!n.has_value()) return Fail(n.error());
  return 0;
}

int RunCacheGc(const ImageCache& cache) {
  Result<GcResult> r = cache.Gc();
  if (!r.has_value()) return Fail(r.error());
  std::printf("removed %llu temporary, %llu metadata, %llu lock files\n",
              static_cast<unsigned long long>(r->temp_files),
              static_cast<unsigned long long>(r->metadata),
              static_cast<unsigned long long>(r->locks));
  return 0;
}

int Main(int argc, char** argv) {
  CLI::App app{"krata-oci: pack OCI images for krata zones"};
  app.require_subcommand(1);

  PackRequest pack;
  bool no_cache = false;
  CLI::App* pack_cmd = app.add_subcommand("pack", "Pack an image into a filesystem image");
  pack_cmd->add_option("--format", pack.format, "Output format")
      ->check(CLI::IsMember({"squashfs", "erofs"}))
      ->capture_default_str();
  AddRemoteOptions(pack_cmd, pack.remote);
  pack_cmd->add_option("--store", pack.store, "Store directory")->capture_default_str();
  pack_cmd->add_flag("--no-cache", no_cache, "Neither use nor fill the image cache");
  pack_cmd->add_option("SOURCE", pack.source, kSourceHelp)->required();
  pack_cmd->add_option("OUTPUT", pack.output, "Output file")->required();

  std::string inspect_source;
  RemoteOptions inspect_remote;
  CLI::App* inspect_cmd = app.add_subcommand("inspect", "Print an image's metadata as JSON");
  AddRemoteOptions(inspect_cmd, inspect_remote);
  inspect_cmd->add_option("SOURCE", inspect_source, kSourceHelp)->required();

  std::string store(kDefaultStore);
  CLI::App* cache_cmd = app.add_subcommand("cache", "Manage the image cache");
  cache_cmd->require_subcommand(1);
  cache_cmd->add_option("--store", store, "Store directory")->capture_default_str();
  CLI::App* list_cmd = cache_cmd->add_subcommand("list", "List cached images");
  std::string rm_digest;
  CLI::App* rm_cmd = cache_cmd->add_subcommand("rm", "Remove a cached image");
  rm_cmd->add_option("DIGEST", rm_digest, "Manifest digest")->required();
  CLI::App* gc_cmd = cache_cmd->add_subcommand("gc", "Remove stale temporaries and orphans");
  for (CLI::App* sub : {list_cmd, rm_cmd, gc_cmd}) {
    sub->add_option("--store", store, "Store directory");
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (pack_cmd->parsed()) {
    pack.use_cache = !no_cache;
    pack.progress = ::isatty(STDERR_FILENO) == 1;
    Result<PackOutcome> r = PackImage(pack);
    if (!r.has_value()) return Fail(r.error());
    return 0;
  }
  if (inspect_cmd->parsed()) {
    Result<std::string> json = InspectImage(inspect_source, inspect_remote);
    if (!json.has_value()) return Fail(json.error());
    std::fputs(json->c_str(), stdout);
    if (json->empty() || json->back() != '\n') std::fputc('\n', stdout);
    return 0;
  }
  ImageCache cache(store);
  if (list_cmd->parsed()) return RunCacheList(cache);
  if (rm_cmd->parsed()) return RunCacheRm(cache, rm_digest);
  if (gc_cmd->parsed()) return RunCacheGc(cache);
  return 2;
}

}  // namespace
}  // namespace krata::oci::cli

int main(int argc, char** argv) {
  krata::InitLogging();
  return krata::oci::cli::Main(argc, argv);
}
