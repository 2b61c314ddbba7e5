// krata-boot: a developer tool that boots a PV domain from a kernel and an initramfs with
// krata's own stack (no xl, libxl, libxenctrl or xenconsoled), streams its console until it
// shuts down, then destroys it and checks nothing is left. Run in dom0 as root.

#include <poll.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "base/file.h"
#include "base/log.h"
#include "runtime/loop.h"
#include "runtime/runtime.h"
#include "xen/launch/kernel_cache.h"
#include "xen/launch/launch.h"

namespace krata {
namespace {

using xen::launch::XenHost;

struct Options {
  std::string kernel, initrd, cmdline = "console=hvc0";
  uint64_t memory_mib = 256, max_memory_mib = 0;
  uint32_t vcpus = 1;
  std::string name = "krata-boot";
  int timeout_s = 120;
  bool quiet = false;
  bool bench = false;
  bool dump_data = false;
  std::string kernel_cache = "/var/lib/krata/cache/kernel";
  int cycles = 1;
  std::vector<std::string> disks;  // read-only loop devices, xvda, xvdb, ...
  std::string destroy_on;          // destroy the running guest once its console shows this
  std::string runtime_store;       // non-empty: launch through the zone runtime instead
  std::string shutdown_on;         // runtime mode: request a graceful shutdown on this text
};

int Fail(const Error& e) {
  std::fprintf(stderr, "krata-boot: %s\n", e.ToString().c_str());
  return 1;
}

std::array<uint8_t, 16> RandomUuid() {
  std::random_device rd;
  std::array<uint8_t, 16> u;
  for (auto& b : u) b = static_cast<uint8_t>(rd());
  u[6] = (u[6] & 0x0f) | 0x40;  // version 4
  u[8] = (u[8] & 0x3f) | 0x80;  // RFC 4122 variant
  return u;
}

void Emit(const std::string& s, bool quiet) {
  if (quiet || s.empty()) return;
  (void)WriteAll(STDOUT_FILENO, s);
}

constexpr int kTimedOut = -1;
constexpr int kMarkerSeen = -2;

// Streams the console until the domain shuts down or disappears, the timeout, or (with
// --destroy-on) the marker. Returns the shutdown reason (SHUTDOWN_* in sched.h), kTimedOut or
// kMarkerSeen.
Result<int> Supervise(XenHost& host, xen::launch::RunningDomain& d, const Options& o) {
  std::string tail;  // the last bytes of output, where the marker may span two reads
  auto marker_seen = [&](const std::string& out) {
    if (o.destroy_on.empty()) return false;
    tail += out;
    if (tail.find(o.destroy_on) != std::string::npos) return true;
    if (tail.size() > o.destroy_on.size()) tail.erase(0, tail.size() - o.destroy_on.size());
    return false;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s);
  const std::string token = "krata-boot-" + std::to_string(d.built.domid);
  TRY(host.xs->Watch("@releaseDomain", token));
  struct Unwatch {
    XenHost& host;
    const std::string& token;
    ~Unwatch() { (void)host.xs->Unwatch("@releaseDomain", token); }
  } unwatch{host, token};
  for (;;) {
    // A shutdown is announced on @releaseDomain; the first watch event fires at once.
    while (TRY(host.xs->TryPopWatchEvent()).has_value()) {
    }
    std::optional<xen::DomainInfo> info = TRY(xen::launch::QueryDomain(host, d.built.domid));
    if (!info || info->shutdown || info->dying) {
      Emit(TRY(d.console->Service()), o.quiet);  // whatever it wrote last
      return info && info->shutdown ? static_cast<int>(info->shutdown_reason) : 0;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return kTimedOut;
    pollfd fds[2] = {{host.events->fd(), POLLIN, 0}, {host.xs->watch_fd(), POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      return Error::FromErrno("poll", errno);
    }
    if (fds[0].revents != 0) {
      std::vector<xen::evtchn::Port> fired = TRY(host.events->ReadPending());
      std::string out = TRY(d.console->Service());  // spurious events are harmless
      Emit(out, o.quiet);
      TRY(host.events->UnmaskAll(fired));
      if (marker_seen(out)) return kMarkerSeen;
    }
  }
}

int RunOnce(XenHost& host, const xen::boot::LoadedKernel& kernel, const std::string& initrd,
            const Options& o, const std::string& load_note);

// --runtime: the whole zone runtime (runtime/runtime.h) as kratad uses it. The first --disk
// is the zone image (xvda); the runtime adds the config disk (xvdb). Streams the console,
// optionally requests a graceful shutdown when --shutdown-on shows up, waits for the domain
// to shut down, prints the exit the guest reported, destroys the zone.
int RunRuntime(const Options& o) {
  if (o.disks.empty()) {
    std::fprintf(stderr, "krata-boot: --runtime needs --disk IMAGE\n");
    return 2;
  }
  std::atomic<bool> shutdown_seen{false};
  std::string tail;  // only touched on the console thread
  // After the two above: the console thread uses them until the runtime is gone.
  Result<std::unique_ptr<runtime::Runtime>> rt =
      runtime::OpenLinuxRuntime({.store_dir = o.runtime_store});
  if (!rt.has_value()) return Fail(rt.error());
  (*rt)->SetConsoleHandler([&](const std::string&, std::string_view bytes) {
    if (!o.quiet) (void)WriteAll(STDOUT_FILENO, bytes);
    if (o.shutdown_on.empty()) return;
    tail.append(bytes);
    if (tail.find(o.shutdown_on) != std::string::npos) shutdown_seen = true;
    if (tail.size() > o.shutdown_on.size()) tail.erase(0, tail.size() - o.shutdown_on.size());
  });
  runtime::LaunchRequest r;
  r.zone_id = xen::devices::UuidString(RandomUuid());
  r.name = o.name;
  r.image_path = o.disks[0];
  r.config.zone_id = r.zone_id;
  r.config.hostname = o.name;
  r.assets = {o.kernel, o.initrd};
  r.memory_mib = o.memory_mib;
  r.vcpus = o.vcpus;
  r.cmdline_append = o.cmdline;
  Result<runtime::DomId> domid = (*rt)->Launch(r);
  if (!domid.has_value()) return Fail(domid.error());
  std::fprintf(stderr, "krata-boot: zone %s running as domain %u (runtime)\n", r.zone_id.c_str(),
               *domid);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s);
  bool requested = false;
  int rc = 124;
  for (;;) {
    Result<std::vector<runtime::ZoneDomain>> zones = (*rt)->List();
    if (!zones.has_value()) return Fail(zones.error());
    const runtime::ZoneDomain* z = nullptr;
    for (const runtime::ZoneDomain& x : *zones) z = x.zone_id == r.zone_id ? &x : z;
    if (z == nullptr || z->shut_down) {
      if (z != nullptr && z->exit.has_value()) {
        std::fprintf(stderr, "krata-boot: zone exited with code %d signal %d\n", z->exit->code,
                     z->exit->signal);
        rc = 0;
      } else {
        std::fprintf(stderr, "krata-boot: zone shut down without an exit report\n");
        rc = 1;
      }
      break;
    }
    if (shutdown_seen && !requested) {
      if (Status s = (*rt)->RequestShutdown(r.zone_id); !s.has_value()) return Fail(s.error());
      std::fprintf(stderr, "krata-boot: shutdown requested\n");
      requested = true;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      std::fprintf(stderr, "krata-boot: timed out after %d s\n", o.timeout_s);
      break;
    }
    // Slices: the console thread's marker is not a xenstore event.
    Result<bool> changed = (*rt)->WaitForChange(
        std::min(left, std::chrono::milliseconds(o.shutdown_on.empty() ? 60000 : 250)));
    if (!changed.has_value()) return Fail(changed.error());
  }
  if (Status s = (*rt)->Destroy(r.zone_id); !s.has_value()) return Fail(s.error());
  std::fprintf(stderr, "krata-boot: zone %s destroyed\n", r.zone_id.c_str());
  return rc;
}

int Run(const Options& o) {
  if (!o.runtime_store.empty()) return RunRuntime(o);
  Result<std::string> initrd = ReadFile(o.initrd, 1u << 30);
  if (!initrd.has_value()) return Fail(initrd.error());
  auto t0 = std::chrono::steady_clock::now();
  xen::launch::KernelFile kf;
  if (Status s = xen::launch::LoadKernelFile(o.kernel, o.kernel_cache, kf); !s.has_value()) {
    return Fail(s.error());
  }
  const xen::boot::LoadedKernel* kernel = &kf.kernel;
  auto load_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  const std::string load_note =
      std::to_string(load_ms) + " ms" + (kf.from_cache ? ", decompressed ELF from cache" : "");
  Result<XenHost> host = XenHost::OpenLinux();
  if (!host.has_value()) return Fail(host.error());
  int rc = 0;
  for (int cycle = 1; cycle <= o.cycles && rc == 0; ++cycle) {
    if (o.cycles > 1) std::fprintf(stderr, "krata-boot: cycle %d of %d\n", cycle, o.cycles);
    rc = RunOnce(*host, *kernel, *initrd, o, load_note);
  }
  return rc;
}

// Prints every key under the domain's data/ (what the guest reported) before it is destroyed.
Status DumpData(XenHost& host, xen::DomId domid) {
  std::string base = xen::devices::DomainPath(domid) + "/data";
  Result<std::vector<std::string>> keys = host.xs->Directory(base);
  if (!keys.has_value()) return std::move(keys.error());
  for (const std::string& k : *keys) {
    std::string v = TRY(host.xs->Read(base + "/" + k));
    std::printf("xenstore data/%s = %s\n", k.c_str(), v.c_str());
  }
  std::fflush(stdout);
  return {};
}

int RunOnce(XenHost& host, const xen::boot::LoadedKernel& kernel, const std::string& initrd,
            const Options& o, const std::string& load_note) {
  xen::launch::LaunchSpec spec;
  spec.name = o.name;
  spec.build.uuid = RandomUuid();
  spec.build.memory_mib = o.memory_mib;
  spec.build.max_memory_mib = std::max(o.max_memory_mib, o.memory_mib);
  spec.build.vcpus = o.vcpus;
  spec.build.cmdline = o.cmdline;
  // Declared after the loops, destroyed (below) before them: blkback holds them until closed.
  std::vector<runtime::LoopDevice> loops;
  for (size_t i = 0; i < o.disks.size(); ++i) {
    Result<runtime::LoopDevice> loop = runtime::LoopDevice::Attach(o.disks[i], true);
    if (!loop.has_value()) return Fail(loop.error());
    std::fprintf(stderr, "krata-boot: disk %s = %s (%s, read-only)\n",
                 xen::devices::VbdDiskName(static_cast<uint32_t>(i)).c_str(), loop->path().c_str(),
                 o.disks[i].c_str());
    spec.disks.push_back({loop->major(), loop->minor(), loop->path(), false});
    loops.push_back(std::move(*loop));
  }
  Result<xen::launch::RunningDomain> d = xen::launch::Launch(host, kernel, AsBytes(initrd), spec);
  if (!d.has_value()) return Fail(d.error());
  std::fprintf(stderr,
               "krata-boot: domain %u running (kernel load %s, create..unpause %.1f ms: "
               "create %.1f, populate %.1f, load %.1f, setup %.1f)\n",
               d->built.domid, load_note.c_str(), d->create_to_unpause_us / 1e3,
               d->timings.create_us / 1e3, d->timings.populate_us / 1e3, d->timings.load_us / 1e3,
               d->timings.setup_us / 1e3);
  std::fprintf(stderr, "krata-boot: build-us %llu\n",
               static_cast<unsigned long long>(d->create_to_unpause_us));
  int rc = 0;
  if (!o.bench) {
    Result<int> reason = Supervise(host, *d, o);
    if (reason.has_value() && o.dump_data) {
      if (Status s = DumpData(host, d->built.domid); !s.has_value()) reason = s.error();
    }
    if (!reason.has_value()) {
      (void)xen::launch::Destroy(host, *d);
      return Fail(reason.error());
    }
    if (*reason == kMarkerSeen) {
      std::fprintf(stderr, "krata-boot: domain %u still running: marker seen, destroying it\n",
                   d->built.domid);
    } else if (*reason == kTimedOut) {
      std::fprintf(stderr, "krata-boot: timed out after %d s\n", o.timeout_s);
      rc = 124;
    } else {
      static constexpr const char* kReasons[] = {"poweroff", "reboot",   "suspend",
                                                 "crash",    "watchdog", "soft_reset"};
      const char* why = *reason < 6 ? kReasons[*reason] : "unknown";
      std::fprintf(stderr, "krata-boot: domain %u shut down (%s)\n", d->built.domid, why);
      rc = *reason == 0 ? 0 : 1;
    }
  }
  auto t_destroy = std::chrono::steady_clock::now();
  if (Status s = xen::launch::Destroy(host, *d); !s.has_value()) return Fail(s.error());
  std::fprintf(stderr, "krata-boot: domain %u destroyed (%lld ms)\n", d->built.domid,
               static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - t_destroy)
                                          .count()));
  for (runtime::LoopDevice& loop : loops) {
    if (Status s = loop.Detach(); !s.has_value()) return Fail(s.error());
  }
  return rc;
}

}  // namespace
}  // namespace krata

int main(int argc, char** argv) {
  krata::InitLogging();
  krata::Options o;
  CLI::App app{
      "krata-boot: boot a Xen PV domain with krata's own domain builder and stream "
      "its console until it shuts down (dom0, root)"};
  app.add_option("kernel", o.kernel, "Kernel: bzImage (gzip/xz/lzma/zstd/lz4/bzip2) or ELF vmlinux")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("initrd", o.initrd, "Initramfs (cpio, possibly compressed)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("cmdline", o.cmdline, "Kernel command line")->capture_default_str();
  app.add_option("-m,--memory", o.memory_mib, "Memory in MiB")->capture_default_str();
  app.add_option("-M,--max-memory", o.max_memory_mib, "Maximum memory in MiB (default: --memory)");
  app.add_option("-c,--vcpus", o.vcpus, "Virtual CPUs")->capture_default_str();
  app.add_option("-n,--name", o.name, "Domain name in xenstore")->capture_default_str();
  app.add_option("-t,--timeout", o.timeout_s, "Seconds to wait for the guest to shut down")
      ->capture_default_str();
  app.add_flag("-q,--quiet", o.quiet, "Do not echo the guest console");
  app.add_flag("--bench", o.bench, "Build, unpause and destroy at once; print the build time");
  app.add_option("--kernel-cache", o.kernel_cache,
                 "Directory of decompressed kernels (empty: no cache)")
      ->capture_default_str();
  app.add_flag("--dump-data", o.dump_data,
               "After shutdown, print the keys the guest wrote under data/ in xenstore");
  app.add_option("--cycles", o.cycles, "Launch and destroy this many times in one process")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--disk", o.disks,
                 "File given to the guest read-only as xvda, xvdb, ... (loop device + blkback); "
                 "repeatable")
      ->check(CLI::ExistingFile)
      ->allow_extra_args(false);  // one file per --disk: the positionals follow
  app.add_option("--runtime", o.runtime_store,
                 "Launch through the zone runtime with this store directory (first --disk = "
                 "image; the config disk is added); print the guest's exit report");
  app.add_option("--shutdown-on", o.shutdown_on,
                 "With --runtime: request a graceful shutdown once the console printed this");
  app.add_option("--destroy-on", o.destroy_on,
                 "Destroy the guest while it runs, once its console printed this text");
  CLI11_PARSE(app, argc, argv);
  return krata::Run(o);
}
