#include "daemon/zone_manager.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>

#include "base/log.h"

namespace krata::daemon {
namespace {

namespace common = v1::common;

// The watcher's WaitForChange timeout: only bounds how long Stop() waits for it.
constexpr std::chrono::milliseconds kWatchSlice{500};
// How often a failed runtime.Destroy is retried.
constexpr std::chrono::seconds kRetryDelay{5};

int64_t NowUnix() { return static_cast<int64_t>(std::time(nullptr)); }

// A random (version 4, RFC 9562 §5.4) UUID.
std::string NewUuid() {
  uint8_t b[16];
  size_t got = 0;
  while (got < sizeof(b)) {
    ssize_t n = ::getrandom(b + got, sizeof(b) - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) std::abort();  // getrandom cannot fail on a 16-byte request after boot
    got += static_cast<size_t>(n);
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

Error BadSpec(std::string message) {
  return Error::FromErrno("zone spec", EINVAL, std::move(message));
}

// Names end up in xenstore and domain names: keep them short and plain.
bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '-' && c != '_' && c != '.'))) return false;
  }
  return true;
}

// "8080/tcp"
std::string PortText(const common::ZonePortForward& p) {
  return std::to_string(p.host_port()) +
         (p.protocol() == common::PORT_PROTOCOL_UDP ? "/udp" : "/tcp");
}

Status ValidateSpec(const common::ZoneSpec& spec) {
  if (!spec.name().empty() && !ValidName(spec.name())) {
    return BadSpec("name \"" + spec.name() +
                   "\": use up to 63 letters, digits, '-', '_' or '.', starting with a letter "
                   "or digit");
  }
  if (!spec.image().has_oci() || spec.image().oci().digest().empty()) {
    return BadSpec("no image digest (pull the image first)");
  }
  common::OciImageFormat f = spec.image().oci().format();
  if (f != common::OCI_IMAGE_FORMAT_SQUASHFS && f != common::OCI_IMAGE_FORMAT_EROFS) {
    return BadSpec("image format must be squashfs or erofs");
  }
  for (const std::string* p : {&spec.kernel_path(), &spec.initrd_path()}) {
    if (!p->empty() && (*p)[0] != '/') return BadSpec("kernel/initrd path must be absolute");
  }
  for (const auto& e : spec.task().environment()) {
    if (e.key().empty() || e.key().find('=') != std::string::npos) {
      return BadSpec("bad environment variable name \"" + e.key() + "\"");
    }
  }
  if (spec.initial_resources().cpus() > 128) return BadSpec("too many cpus");
  std::set<std::pair<uint32_t, int>> host_ports;
  for (const common::ZonePortForward& p : spec.ports()) {
    if (p.host_port() < 1 || p.host_port() > 65535 || p.zone_port() < 1 || p.zone_port() > 65535) {
      return BadSpec("port forward " + std::to_string(p.host_port()) + ":" +
                     std::to_string(p.zone_port()) + ": ports must be 1..65535");
    }
    if (!common::PortProtocol_IsValid(p.protocol())) return BadSpec("unknown port protocol");
    if (!host_ports.insert({p.host_port(), p.protocol()}).second) {
      return BadSpec("host port " + PortText(p) + " is forwarded twice");
    }
  }
  return {};
}

std::string FormatName(common::OciImageFormat f) {
  return f == common::OCI_IMAGE_FORMAT_EROFS ? "erofs" : "squashfs";
}

}  // namespace

ZoneManager::ZoneManager(ZoneStore& store, runtime::Runtime& runtime, ImageService* images,
                         std::shared_ptr<ConsoleHub> consoles, EventBus& events,
                         ZoneManagerOptions options)
    : store_(store),
      runtime_(runtime),
      images_(images),
      consoles_hold_(std::move(consoles)),
      consoles_(*consoles_hold_),
      events_(events),
      options_(std::move(options)) {}

ZoneManager::~ZoneManager() { Stop(); }

Status ZoneManager::SetUpNetwork() {
  network_ = TRY(PlanHostNetwork(options_.network));
  RandomFn random = options_.random_bytes ? options_.random_bytes : RandomFn(KernelRandom);
  std::set<net::Mac> taken;
  using Slot = std::pair<const char*, net::Mac*>;
  for (const auto& [key, mac] :
       {Slot{"gateway_mac", &network_.gateway_mac}, Slot{"host_mac", &network_.host_mac}}) {
    std::optional<std::string> stored = TRY(store_.GetSetting(key));
    if (stored.has_value()) {
      Result<net::Mac> parsed = net::ParseMac(*stored);
      if (!parsed.has_value()) return std::move(parsed.error()).With(std::string("store ") + key);
      *mac = *parsed;
    } else {
      *mac = RandomMac(taken, random);
      TRY(store_.PutSetting(key, net::ToString(*mac)));
    }
    taken.insert(*mac);
  }
  spdlog::info("zone network {} {}, gateway {} {} ({})", net::ToString(network_.ipv4),
               net::ToString(network_.ipv6), net::ToString(network_.gateway4),
               net::ToString(network_.gateway6), net::ToString(network_.gateway_mac));
  return {};
}

Status ZoneManager::Start() {
  TRY(SetUpNetwork());
  runtime_.SetConsoleHandler(
      [this](const std::string& id, std::string_view bytes) { consoles_.Append(id, bytes); });
  ReconcileOnce(/*startup=*/true);
  watcher_ = std::thread([this] { WatchLoop(); });
  reconciler_ = std::thread([this] { ReconcileLoop(); });
  return {};
}

void ZoneManager::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  if (reconciler_.joinable()) reconciler_.join();
  runtime_.SetConsoleHandler({});
}

void ZoneManager::Wake() {
  {
    std::lock_guard<std::mutex> l(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

void ZoneManager::WatchLoop() {
  for (;;) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stopping_) return;
    }
    Result<bool> changed = runtime_.WaitForChange(kWatchSlice);
    if (!changed.has_value()) {
      spdlog::error("runtime watch: {}", changed.error().ToString());
      std::unique_lock<std::mutex> l(mu_);
      // Do not spin on a broken watch; Stop() still wakes this.
      cv_.wait_for(l, kRetryDelay, [this] { return stopping_; });
      wake_ = true;
      cv_.notify_all();
      continue;
    }
    if (*changed) Wake();
  }
}

void ZoneManager::ReconcileLoop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    wake_ = false;
    l.unlock();
    Clock::time_point next = ReconcileOnce(/*startup=*/false);
    l.lock();
    cv_.wait_until(l, next, [this] { return stopping_ || wake_; });
  }
}

Status ZoneManager::Transition(const std::string& id,
                               const std::function<void(common::ZoneStatus&)>& fn) {
  std::lock_guard<std::mutex> l(state_mu_);
  std::optional<common::Zone> zone = TRY(store_.Get(id));
  if (!zone.has_value()) return Error::FromErrno("zone", ENOENT, id);
  fn(*zone->mutable_status());
  zone->mutable_status()->set_updated_unix(NowUnix());
  TRY(store_.UpdateStatus(id, zone->status()));
  events_.Publish(*zone);
  return {};
}

ZoneManager::Clock::time_point ZoneManager::ReconcileOnce(bool startup) {
  Clock::time_point next = Clock::now() + std::chrono::hours(1);
  Result<std::vector<common::Zone>> zones = store_.List();
  Result<std::vector<runtime::ZoneDomain>> listed = runtime_.List();
  if (!zones.has_value() || !listed.has_value()) {
    spdlog::error("reconcile: {}",
                  (!zones.has_value() ? zones.error() : listed.error()).ToString());
    return Clock::now() + kRetryDelay;
  }
  std::map<std::string, runtime::ZoneDomain> domains;
  for (runtime::ZoneDomain& d : *listed) domains[d.zone_id] = std::move(d);

  auto log_error = [](const Status& st) {
    if (!st.has_value()) spdlog::error("reconcile: {}", st.error().ToString());
  };
  std::set<std::string> known;
  for (const common::Zone& zone : *zones) {
    const std::string& id = zone.id();
    known.insert(id);
    auto dom = domains.find(id);
    bool present = dom != domains.end();
    switch (zone.status().state()) {
      case common::ZONE_STATE_CREATING:
        if (present) {
          // A launch that completed just before the daemon died: adopt it.
          consoles_.Reopen(id);
          log_error(Transition(id, [&](common::ZoneStatus& s) {
            s.set_state(common::ZONE_STATE_CREATED);
            s.set_domid(dom->second.domid);
          }));
          Wake();  // its exit, if any, is seen on the next pass
        } else {
          LaunchZone(zone);
        }
        break;
      case common::ZONE_STATE_CREATED:
        if (!present) {
          log_error(Transition(id, [](common::ZoneStatus& s) {
            s.set_state(common::ZONE_STATE_EXITED);
            s.mutable_error_status()->set_message("domain vanished");
            s.set_domid(0);
          }));
          consoles_.End(id);
        } else if (dom->second.shut_down) {
          std::optional<runtime::ZoneExit> exit = dom->second.exit;
          // Free the domain first so an EXITED zone holds no host resources.
          log_error(runtime_.Destroy(id));
          log_error(Transition(id, [&](common::ZoneStatus& s) {
            s.set_state(common::ZONE_STATE_EXITED);
            s.set_domid(0);
            if (exit.has_value()) {
              s.mutable_exit_status()->set_code(exit->code);
              s.mutable_exit_status()->set_signal(exit->signal);
            } else {
              s.mutable_error_status()->set_message("domain stopped without reporting an exit");
            }
          }));
          consoles_.End(id);
        } else {
          if (startup) consoles_.Reopen(id);
          if (zone.status().domid() != dom->second.domid) {
            log_error(
                Transition(id, [&](common::ZoneStatus& s) { s.set_domid(dom->second.domid); }));
          }
        }
        break;
      case common::ZONE_STATE_DESTROYING: {
        auto deadline = destroy_deadlines_.find(id);
        if (deadline == destroy_deadlines_.end()) {
          Clock::time_point due = Clock::now();
          if (present && !dom->second.shut_down) {
            log_error(runtime_.RequestShutdown(id));
            due += std::chrono::milliseconds(options_.shutdown_grace_ms) + options_.destroy_margin;
          }
          deadline = destroy_deadlines_.emplace(id, due).first;
        }
        bool stopped = !present || dom->second.shut_down;
        if (!stopped && Clock::now() < deadline->second) {
          next = std::min(next, deadline->second);
          break;
        }
        Status destroyed = runtime_.Destroy(id);
        if (!destroyed.has_value()) {
          log_error(destroyed);
          deadline->second = Clock::now() + kRetryDelay;
          next = std::min(next, deadline->second);
          break;
        }
        destroy_deadlines_.erase(deadline);
        {
          std::lock_guard<std::mutex> l(state_mu_);
          log_error(store_.Delete(id));
        }
        consoles_.End(id);
        consoles_.Remove(id);
        common::Zone gone = zone;
        gone.mutable_status()->set_state(common::ZONE_STATE_DESTROYED);
        gone.mutable_status()->set_domid(0);
        gone.mutable_status()->set_updated_unix(NowUnix());
        events_.Publish(gone);
        break;
      }
      default:
        if (startup) consoles_.End(id);
        break;
    }
  }
  if (startup) {
    for (const auto& [id, d] : domains) {
      if (known.count(id) != 0) continue;
      spdlog::warn("destroying domain {} of unknown zone {}", d.domid, id);
      log_error(runtime_.Destroy(id));
    }
  }
  return next;
}

void ZoneManager::LaunchZone(const common::Zone& zone) {
  const std::string& id = zone.id();
  const common::ZoneSpec& spec = zone.spec();
  auto fail = [&](const Error& e) {
    spdlog::warn("zone {}: launch failed: {}", id, e.ToString());
    Status st = Transition(id, [&](common::ZoneStatus& s) {
      if (s.state() != common::ZONE_STATE_CREATING) return;  // destroyed meanwhile
      s.set_state(common::ZONE_STATE_FAILED);
      s.mutable_error_status()->set_message(e.ToString());
    });
    if (!st.has_value()) spdlog::error("zone {}: {}", id, st.error().ToString());
    consoles_.End(id);
  };

  std::string format = FormatName(spec.image().oci().format());
  if (images_ == nullptr) return fail(Error::FromErrno("image", ENOSYS, "no image service"));
  Result<CachedImage> image = images_->Find(spec.image().oci().digest(), format);
  if (!image.has_value()) return fail(image.error().With("image"));

  runtime::LaunchRequest req;
  req.zone_id = id;
  req.name = spec.name();
  req.image_path = image->path;
  zone::LaunchConfig& c = req.config;
  c.zone_id = id;
  c.hostname = spec.name().empty() ? "krata-" + id : spec.name();
  c.root_format = format == "erofs" ? zone::RootFormat::kErofs : zone::RootFormat::kSquashfs;
  c.image = image->process;
  const common::ZoneTaskSpec& task = spec.task();
  if (task.command_size() > 0) {
    c.process.args = std::vector<std::string>(task.command().begin(), task.command().end());
  }
  for (const auto& e : task.environment()) c.process.env.push_back(e.key() + "=" + e.value());
  if (!task.working_directory().empty()) c.process.working_dir = task.working_directory();
  if (!task.user().empty()) c.process.user = task.user();
  c.shutdown_grace_ms = options_.shutdown_grace_ms;
  const common::ZoneNetworkStatus& ns = zone.status().network_status();
  if (!ns.zone_mac().empty()) {
    c.network = zone::NetworkConfig{.mac = ns.zone_mac(),
                                    .ipv4 = ns.zone_ipv4(),
                                    .gateway4 = ns.gateway_ipv4(),
                                    .ipv6 = ns.zone_ipv6(),
                                    .gateway6 = ns.gateway_ipv6(),
                                    .mtu = network_.mtu};
    // kratanet answers DNS on the gateway addresses.
    for (const std::string* gw : {&ns.gateway_ipv4(), &ns.gateway_ipv6()}) {
      if (!gw->empty()) c.nameservers.push_back(*gw);
    }
  }
  req.assets.kernel_path =
      spec.kernel_path().empty() ? options_.assets.kernel_path : spec.kernel_path();
  req.assets.initrd_path =
      spec.initrd_path().empty() ? options_.assets.initrd_path : spec.initrd_path();
  req.memory_mib = spec.initial_resources().memory_mib() != 0
                       ? spec.initial_resources().memory_mib()
                       : options_.default_memory_mib;
  req.vcpus = spec.initial_resources().cpus() != 0 ? spec.initial_resources().cpus()
                                                   : options_.default_cpus;
  req.cmdline_append = spec.kernel_cmdline_append();

  consoles_.Reopen(id);  // output may arrive while Launch runs
  Result<runtime::DomId> domid = runtime_.Launch(req);
  if (!domid.has_value()) return fail(domid.error());
  Status st = Transition(id, [&](common::ZoneStatus& s) {
    s.set_domid(*domid);
    // A DestroyZone that came in during the launch stays in charge.
    if (s.state() == common::ZONE_STATE_CREATING) s.set_state(common::ZONE_STATE_CREATED);
  });
  if (!st.has_value()) {
    spdlog::error("zone {}: {}", id, st.error().ToString());
    if (st.error().errno_value() == ENOENT) (void)runtime_.Destroy(id);
  }
  Wake();
}

Result<std::string> ZoneManager::Create(const common::ZoneSpec& spec) {
  TRY(ValidateSpec(spec));
  common::Zone zone;
  zone.set_id(NewUuid());
  *zone.mutable_spec() = spec;
  common::ZoneStatus* s = zone.mutable_status();
  s->set_state(common::ZONE_STATE_CREATING);
  s->set_created_unix(NowUnix());
  s->set_updated_unix(s->created_unix());
  {
    std::lock_guard<std::mutex> l(state_mu_);
    ZoneReservation reservation = TRY(ReserveLocked(zone.id(), spec));
    common::ZoneNetworkStatus* ns = s->mutable_network_status();
    ns->set_zone_ipv4(CidrText(*net::ParseIp(reservation.ipv4), network_.ipv4));
    ns->set_zone_ipv6(CidrText(*net::ParseIp(reservation.ipv6), network_.ipv6));
    ns->set_zone_mac(reservation.mac);
    ns->set_gateway_ipv4(net::ToString(network_.gateway4));
    ns->set_gateway_ipv6(net::ToString(network_.gateway6));
    ns->set_gateway_mac(net::ToString(network_.gateway_mac));
    Status inserted = store_.Insert(zone, &reservation);
    if (!inserted.has_value()) {
      if (inserted.error().errno_value() == EEXIST) {
        return Error::FromErrno("create zone", EEXIST,
                                "a zone named \"" + spec.name() + "\" exists");
      }
      return std::move(inserted.error());
    }
  }
  events_.Publish(zone);
  Wake();
  return zone.id();
}

Result<ZoneReservation> ZoneManager::ReserveLocked(const std::string& id,
                                                   const common::ZoneSpec& spec) {
  // Host ports: every zone not yet destroyed keeps its forwards, as it keeps its addresses.
  if (spec.ports_size() > 0) {
    std::map<std::pair<uint32_t, int>, std::string> held;
    for (const common::Zone& z : TRY(store_.List())) {
      for (const common::ZonePortForward& p : z.spec().ports()) {
        held[{p.host_port(), p.protocol()}] = z.spec().name().empty() ? z.id() : z.spec().name();
      }
    }
    for (const common::ZonePortForward& p : spec.ports()) {
      auto it = held.find({p.host_port(), p.protocol()});
      if (it != held.end()) {
        return Error::FromErrno("create zone", EEXIST,
                                "host port " + PortText(p) + " is forwarded to zone " + it->second);
      }
    }
  }
  std::set<net::IpAddr> used4, used6;
  std::set<net::Mac> macs{network_.gateway_mac, network_.host_mac};
  for (const ZoneReservation& r : TRY(store_.ListReservations())) {
    if (Result<net::IpAddr> ip = net::ParseIp(r.ipv4); ip.has_value()) used4.insert(*ip);
    if (Result<net::IpAddr> ip = net::ParseIp(r.ipv6); ip.has_value()) used6.insert(*ip);
    if (Result<net::Mac> mac = net::ParseMac(r.mac); mac.has_value()) macs.insert(*mac);
  }
  ZoneReservation r;
  r.zone_id = id;
  Result<net::IpAddr> ip4 = LowestFreeAddress(network_.ipv4, used4);
  if (!ip4.has_value()) return std::move(ip4.error()).With("create zone: IPv4");
  Result<net::IpAddr> ip6 = LowestFreeAddress(network_.ipv6, used6);
  if (!ip6.has_value()) return std::move(ip6.error()).With("create zone: IPv6");
  r.ipv4 = net::ToString(*ip4);
  r.ipv6 = net::ToString(*ip6);
  r.mac = net::ToString(
      RandomMac(macs, options_.random_bytes ? options_.random_bytes : RandomFn(KernelRandom)));
  return r;
}

Status ZoneManager::Destroy(const std::string& id) {
  TRY(Transition(id, [](common::ZoneStatus& s) { s.set_state(common::ZONE_STATE_DESTROYING); }));
  Wake();
  return {};
}

Result<common::Zone> ZoneManager::Get(const std::string& id) {
  std::optional<common::Zone> zone = TRY(store_.Get(id));
  if (!zone.has_value()) return Error::FromErrno("zone", ENOENT, id);
  return std::move(*zone);
}

Result<std::vector<common::Zone>> ZoneManager::List() { return store_.List(); }

Result<std::string> ZoneManager::Resolve(const std::string& name_or_id) {
  std::optional<common::Zone> zone = TRY(store_.Get(name_or_id));
  if (!zone.has_value()) zone = TRY(store_.FindByName(name_or_id));
  return zone.has_value() ? zone->id() : std::string();
}

Status ZoneManager::WriteConsole(const std::string& id, std::string_view bytes) {
  common::Zone zone = TRY(Get(id));
  if (zone.status().state() != common::ZONE_STATE_CREATED) {
    return Error::FromErrno("console", EALREADY, "zone " + id + " is not running");
  }
  return runtime_.WriteConsole(id, bytes);
}

}  // namespace krata::daemon
