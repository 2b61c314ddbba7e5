#include "runtime/linux_runtime.h"

#include <cerrno>
#include <map>
#include <mutex>
#include <random>

#include "base/file.h"
#include "net/packet/addr.h"
#include "runtime/console_hub.h"
#include "runtime/loop.h"
#include "runtime/zone_files.h"
#include "xen/launch/kernel_cache.h"

namespace krata::runtime {
namespace {

using xen::launch::XenHost;
namespace devices = xen::devices;
namespace launch = xen::launch;

constexpr char kBaseCmdline[] = "console=hvc0 quiet";
constexpr size_t kMaxInitrdBytes = 1u << 30;
constexpr char kChangeToken[] = "krata-runtime-change";

std::string KrataPath(DomId domid, std::string_view key) {
  return devices::DomainPath(domid) + "/krata/" + std::string(key);
}

std::array<uint8_t, 16> UuidFor(const std::string& zone_id) {
  if (std::optional<std::array<uint8_t, 16>> u = ParseUuid(zone_id)) return *u;
  std::random_device rd;  // not a UUID (tests, hand-made ids): a random v4 handle
  std::array<uint8_t, 16> u;
  for (auto& b : u) b = static_cast<uint8_t>(rd());
  u[6] = (u[6] & 0x0f) | 0x40;
  u[8] = (u[8] & 0x3f) | 0x80;
  return u;
}

class LinuxRuntime final : public Runtime {
 public:
  LinuxRuntime(LinuxRuntimeParts parts, const RuntimeOptions& options)
      : host_(std::move(parts.host)),
        change_xs_(std::move(parts.change_xs)),
        destroy_xs_(std::move(parts.destroy_xs)),
        store_dir_(options.store_dir),
        kernel_cache_dir_(parts.kernel_cache_dir.empty() ? options.store_dir + "/cache/kernel"
                                                         : parts.kernel_cache_dir) {}

  Status Init() {
    hub_ = TRY(ConsoleHub::Start(*host_.events));
    return change_xs_->Watch("@releaseDomain", kChangeToken);
  }

  ~LinuxRuntime() override {
    // Zones keep running; only our handles go. Consoles first: they use host_.
    hub_.reset();
  }

  Result<DomId> Launch(const LaunchRequest& request) override;
  Status RequestShutdown(const std::string& zone_id) override;
  Status Destroy(const std::string& zone_id) override;
  Result<std::vector<ZoneDomain>> List() override;
  Result<bool> WaitForChange(std::chrono::milliseconds timeout) override;
  void SetConsoleHandler(ConsoleOutputFn handler) override { hub_->SetHandler(std::move(handler)); }
  Status WriteConsole(const std::string& zone_id, std::string_view bytes) override {
    return hub_->Write(zone_id, bytes);
  }

 private:
  struct Zone {
    DomId domid = 0;
    std::vector<LoopDevice> loops;
  };

  // Domains whose krata/uuid is zone_id. Holds mu_.
  Result<std::vector<DomId>> FindDomainsLocked(const std::string& zone_id);
  // Whether domid is still this zone's: its krata/uuid says so, or the domain is gone and
  // nothing else claims its xenstore directory.
  Result<bool> OwnsLocked(DomId domid, const std::string& zone_id);

  std::mutex mu_;  // host_ (DomainControl, grants) and zones_
  XenHost host_;
  std::unique_ptr<xen::store::XsClient> change_xs_;
  std::unique_ptr<xen::store::XsClient> destroy_xs_;
  std::string store_dir_;
  std::string kernel_cache_dir_;
  std::map<std::string, Zone> zones_;
  std::unique_ptr<ConsoleHub> hub_;
};

Result<DomId> LinuxRuntime::Launch(const LaunchRequest& r) {
  TRY(ValidateZoneId(r.zone_id));
  auto ctx = [&](Error e) { return std::move(e).With("launching zone " + r.zone_id); };
  // The slow, Xen-free part first, without the lock.
  auto kernel = std::make_unique<launch::KernelFile>();
  if (Status s = launch::LoadKernelFile(r.assets.kernel_path, kernel_cache_dir_, *kernel);
      !s.has_value()) {
    return ctx(std::move(s.error()));
  }
  Result<std::string> initrd = ReadFile(r.assets.initrd_path, kMaxInitrdBytes);
  if (!initrd.has_value()) return ctx(std::move(initrd.error()));

  std::lock_guard lock(mu_);
  if (zones_.count(r.zone_id) != 0) return ctx(Error::FromErrno("launch", EEXIST));
  Zone zone;
  // Every failure below leaves nothing: loops detach when `zone` goes, then the files go.
  auto fail = [&](Error e) -> Error {
    for (LoopDevice& l : zone.loops) (void)l.Detach();
    (void)RemoveZoneFiles(store_dir_, r.zone_id);
    return ctx(std::move(e));
  };
  Result<std::string> config = CreateZoneFiles(store_dir_, r.zone_id, r.config);
  if (!config.has_value()) return fail(std::move(config.error()));
  std::vector<RecordedLoop> recorded;
  for (const std::string& file : {r.image_path, *config}) {
    Result<LoopDevice> loop = LoopDevice::Attach(file, /*read_only=*/true);
    if (!loop.has_value()) return fail(std::move(loop.error()));
    recorded.push_back({loop->number(), file});
    zone.loops.push_back(std::move(*loop));
  }

  const std::string name = r.name.empty() ? "krata-" + r.zone_id : r.name;
  launch::LaunchSpec spec;
  spec.name = name;
  spec.build.uuid = UuidFor(r.zone_id);
  spec.build.memory_mib = r.memory_mib;
  spec.build.max_memory_mib = r.memory_mib;
  spec.build.vcpus = r.vcpus;
  spec.build.cmdline = kBaseCmdline;
  if (!r.cmdline_append.empty()) spec.build.cmdline += " " + r.cmdline_append;
  spec.extra_keys["krata/uuid"] = r.zone_id;
  spec.extra_keys["krata/name"] = name;
  spec.extra_keys["krata/loops"] = FormatLoops(recorded);
  spec.guest_writable_keys.push_back("krata/zone");
  for (const LoopDevice& l : zone.loops) {
    spec.disks.push_back({l.major(), l.minor(), l.path(), /*writable=*/false});
  }
  if (r.config.network) {
    // eth0: netfront takes its MAC from the vif; dom0's side is vif<domid>.0 for kratanet.
    Result<net::Mac> mac = net::ParseMac(r.config.network->mac);
    if (!mac.has_value()) return fail(std::move(mac.error()).With("zone network"));
    spec.nics.push_back({*mac});
  }
  Result<launch::RunningDomain> d = launch::Launch(host_, kernel->kernel, AsBytes(*initrd), spec);
  if (!d.has_value()) return fail(std::move(d.error()));
  zone.domid = d->built.domid;
  if (Status s = hub_->Adopt(r.zone_id, std::move(d->console)); !s.has_value()) {
    (void)launch::Destroy(host_, *d, {.watch_xs = destroy_xs_.get()});
    return fail(std::move(s.error()));
  }
  const DomId domid = zone.domid;
  zones_.emplace(r.zone_id, std::move(zone));
  return domid;
}

Result<std::vector<DomId>> LinuxRuntime::FindDomainsLocked(const std::string& zone_id) {
  std::vector<DomId> out;
  for (const xen::DomainInfo& info : TRY(host_.dc->ListDomains())) {
    if (info.domid == 0) continue;
    std::optional<std::string> uuid = TRY(host_.xs->TryRead(KrataPath(info.domid, "uuid")));
    if (uuid == zone_id) out.push_back(info.domid);
  }
  return out;
}

Result<bool> LinuxRuntime::OwnsLocked(DomId domid, const std::string& zone_id) {
  std::optional<std::string> uuid = TRY(host_.xs->TryRead(KrataPath(domid, "uuid")));
  if (uuid.has_value()) return *uuid == zone_id;
  std::optional<xen::DomainInfo> info = TRY(launch::QueryDomain(host_, domid));
  return !info.has_value();
}

Status LinuxRuntime::RequestShutdown(const std::string& zone_id) {
  TRY(ValidateZoneId(zone_id));
  std::lock_guard lock(mu_);
  std::vector<DomId> domids;
  if (auto it = zones_.find(zone_id); it != zones_.end()) {
    domids.push_back(it->second.domid);
  } else {
    domids = TRY(FindDomainsLocked(zone_id));
  }
  if (domids.empty()) return Error::FromErrno("shutdown", ENOENT, "zone " + zone_id);
  for (DomId domid : domids) {
    // drivers/xen/manage.c in the guest runs orderly_poweroff(): /sbin/poweroff, which
    // krata-zone handles.
    TRY(host_.xs->Write(devices::DomainPath(domid) + "/control/shutdown", "poweroff"));
  }
  return {};
}

Status LinuxRuntime::Destroy(const std::string& zone_id) {
  TRY(ValidateZoneId(zone_id));
  std::lock_guard lock(mu_);
  Zone zone;
  bool known = false;
  if (auto it = zones_.find(zone_id); it != zones_.end()) {
    zone = std::move(it->second);
    zones_.erase(it);
    known = true;
  }
  Status result;
  auto keep_first = [&](Status s) {
    if (!s.has_value() && result.has_value()) result = std::move(s);
  };
  // A daemon restart forgets zones_: xenstore still names the domain and its loops.
  std::vector<DomId> domids;
  std::vector<RecordedLoop> recorded;
  if (known) {
    Result<bool> owns = OwnsLocked(zone.domid, zone_id);
    if (!owns.has_value()) keep_first(std::move(owns.error()));
    if (owns.has_value() && *owns) domids.push_back(zone.domid);
  }
  Result<std::vector<DomId>> found = FindDomainsLocked(zone_id);
  if (!found.has_value()) keep_first(std::move(found.error()));
  for (DomId d : found.has_value() ? *found : std::vector<DomId>{}) {
    if (known && d == zone.domid) continue;
    domids.push_back(d);
    Result<std::optional<std::string>> loops = host_.xs->TryRead(KrataPath(d, "loops"));
    if (loops.has_value() && loops->has_value()) {
      for (RecordedLoop& l : ParseLoops(**loops)) recorded.push_back(std::move(l));
    }
  }
  // The console pins the domain (mapped ring, bound port): release it first.
  hub_->Release(zone_id).reset();
  for (DomId d : domids) {
    keep_first(launch::DestroyDomain(host_, d, {.watch_xs = destroy_xs_.get()}));
  }
  // After the domain: blkback holds a loop until its backend is gone.
  for (LoopDevice& l : zone.loops) keep_first(l.Detach());
  for (const RecordedLoop& l : recorded) keep_first(DetachLoopIfBacking(l));
  const std::string config = ZoneDir(store_dir_, zone_id) + "/" + kConfigFileName;
  Result<std::vector<int>> config_loops = FindLoopsByBackingFile(config);
  if (config_loops.has_value()) {
    for (int n : *config_loops) keep_first(DetachLoop(n));
  }
  keep_first(RemoveZoneFiles(store_dir_, zone_id));
  if (!result.has_value()) return std::move(result.error()).With("destroying zone " + zone_id);
  return {};
}

Result<std::vector<ZoneDomain>> LinuxRuntime::List() {
  std::lock_guard lock(mu_);
  std::vector<ZoneDomain> out;
  for (const xen::DomainInfo& info : TRY(host_.dc->ListDomains())) {
    if (info.domid == 0) continue;
    std::optional<std::string> uuid = TRY(host_.xs->TryRead(KrataPath(info.domid, "uuid")));
    if (!uuid.has_value() || !ValidateZoneId(*uuid).has_value()) continue;
    ZoneDomain z;
    z.domid = info.domid;
    z.zone_id = *uuid;
    z.shut_down = info.shutdown || info.dying;
    z.exit = ParseZoneExit(TRY(host_.xs->TryRead(KrataPath(info.domid, "zone/exit-code"))),
                           TRY(host_.xs->TryRead(KrataPath(info.domid, "zone/exit-signal"))));
    out.push_back(std::move(z));
  }
  return out;
}

Result<bool> LinuxRuntime::WaitForChange(std::chrono::milliseconds timeout) {
  std::optional<xen::store::WatchEvent> ev = TRY(change_xs_->WaitWatchEvent(timeout));
  if (!ev.has_value()) return false;
  while (TRY(change_xs_->TryPopWatchEvent()).has_value()) {
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<Runtime>> MakeLinuxRuntime(LinuxRuntimeParts parts,
                                                  const RuntimeOptions& options) {
  auto rt = std::make_unique<LinuxRuntime>(std::move(parts), options);
  TRY(rt->Init());
  return std::unique_ptr<Runtime>(std::move(rt));
}

Result<std::unique_ptr<Runtime>> OpenLinuxRuntime(const RuntimeOptions& options) {
  LinuxRuntimeParts parts;
  parts.host = TRY(XenHost::OpenLinux());
  parts.change_xs =
      std::make_unique<xen::store::XsClient>(TRY(xen::store::XsClient::ConnectDefault()));
  parts.destroy_xs =
      std::make_unique<xen::store::XsClient>(TRY(xen::store::XsClient::ConnectDefault()));
  return MakeLinuxRuntime(std::move(parts), options);
}

}  // namespace krata::runtime
