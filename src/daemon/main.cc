// kratad: the krata host daemon (docs/CLI.md). Serves the control API on a unix socket,
// keeps zones in <store>/krata.db and drives them through the Xen runtime.

#include <signal.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "base/log.h"
#include "daemon/daemon.h"
#if KRATA_HAVE_RUNTIME
#include "runtime/runtime.h"
#endif
#if KRATA_HAVE_OCICLI
#include "daemon/oci_image_service.h"
#endif

namespace krata::daemon {
namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "kratad: %s\n", message.c_str());
  return 1;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The first of <store>/zone/NAME and /usr/share/krata/zone/NAME that exists.
std::string DefaultAsset(const std::string& store, const std::string& name) {
  std::string in_store = store + "/zone/" + name;
  if (Exists(in_store)) return in_store;
  std::string shared = "/usr/share/krata/zone/" + name;
  return Exists(shared) ? shared : in_store;
}

// Serves until SIGTERM/SIGINT (blocked by the caller, taken here by sigwait).
[[maybe_unused]] int Serve(const DaemonOptions& options, runtime::Runtime& runtime,
                           const sigset_t& stop_signals) {
  std::unique_ptr<ImageService> images;
#if KRATA_HAVE_OCICLI
  images = std::make_unique<OciImageService>(options.store_dir);
#else
  spdlog::warn("built without krata-oci: image pulls are not available");
#endif
  Result<std::unique_ptr<Daemon>> daemon = Daemon::Start(options, runtime, images.get());
  if (!daemon.has_value()) return Fail(daemon.error().ToString());
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("signal {}: stopping (zones keep running)", sig);
  (*daemon)->Stop();
  return 0;
}

int Run(const DaemonOptions& options) {
  // Blocked before any thread starts, so every thread inherits the mask and sigwait gets them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);

  for (const std::string* p :
       {&options.zones.assets.kernel_path, &options.zones.assets.initrd_path}) {
    if (!Exists(*p)) return Fail(*p + ": not found (set --kernel/--initrd)");
  }
#if KRATA_HAVE_RUNTIME
  Result<std::unique_ptr<runtime::Runtime>> rt =
      runtime::OpenLinuxRuntime(runtime::RuntimeOptions{.store_dir = options.store_dir});
  if (!rt.has_value()) return Fail("runtime: " + rt.error().ToString());
  return Serve(options, **rt, stop_signals);
#else
  return Fail("this kratad was built without the Xen runtime (target krata_runtime)");
#endif
}

}  // namespace
}  // namespace krata::daemon

int main(int argc, char** argv) {
  CLI::App app{"kratad: the krata host daemon"};
  krata::daemon::DaemonOptions options;
  std::string kernel, initrd, log_level = "info";
  app.add_option("-s,--store", options.store_dir, "State directory")->capture_default_str();
  app.add_option("--socket", options.socket_path, "Unix socket (default <store>/daemon.socket)");
  app.add_option("--kernel", kernel, "Zone kernel (default <store>/zone/kernel)");
  app.add_option("--initrd", initrd, "Zone initrd (default <store>/zone/initrd)");
  app.add_option("--shutdown-grace-ms", options.zones.shutdown_grace_ms,
                 "SIGTERM..SIGKILL grace given to a zone's workload on destroy")
      ->capture_default_str();
  app.add_option("--ipv4-subnet", options.zones.network.ipv4_subnet,
                 "Zone network, IPv4: gateway .1, host .2, zones from .3")
      ->capture_default_str();
  app.add_option("--ipv6-subnet", options.zones.network.ipv6_subnet,
                 "Zone network, IPv6: gateway ::1, host ::2, zones from ::3")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  ::setenv("KRATA_LOG", log_level.c_str(), 0);  // $KRATA_LOG still wins
  krata::InitLogging("info");
  options.zones.assets.kernel_path =
      kernel.empty() ? krata::daemon::DefaultAsset(options.store_dir, "kernel") : kernel;
  options.zones.assets.initrd_path =
      initrd.empty() ? krata::daemon::DefaultAsset(options.store_dir, "initrd") : initrd;
  return krata::daemon::Run(options);
}
