// kratanet: the zones' network in dom0 (docs/NETWORKING.md). One process serves every zone's
// netback interface with the in-process switch (net/stack/switch.h): gateway, NAT onto host
// sockets, DNS relay, port forwards, and the host's TAP krata0.
//
//   kratanet [-c URL | -s STORE]      follows kratad: zones are attached while CREATED
//   kratanet --standalone ...         a fixed set of links from the command line (tests, bench)

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "base/eintr.h"
#include "base/file.h"
#include "base/log.h"
#include "ctl/client.h"
#include "net/kratanet/desired_zone.h"
#include "net/kratanet/kratad_follower.h"
#include "net/kratanet/resolv_conf.h"
#include "net/kratanet/update_queue.h"
#include "net/kratanet/zone_attacher.h"
#include "net/kratanet/zone_from_proto.h"
#include "net/kratanet/zone_tracker.h"
#include "net/link/link.h"
#include "net/netlink/rtnl.h"
#include "net/stack/switch.h"

namespace krata::net::kratanet {
namespace {

constexpr char kHelp[] = R"(kratanet: userspace networking for krata zones (docs/NETWORKING.md)

Follow kratad (default): reads the zone network from kratad (GetHostStatus), attaches every
CREATED zone's vif<domid>.0 with the addresses and port forwards kratad assigned, detaches it
when the zone stops, and gives the host the TAP krata0 on the zone network.
  kratanet [-c unix:///var/lib/krata/daemon.socket | -s /var/lib/krata]

Standalone (tests, bench/net): a fixed set of links, no kratad:
  kratanet --standalone --gateway-mac 02:00:00:00:00:01 \
      --gateway4 10.75.0.1/16 --gateway6 fdd4:1476:6c7e::1/48 \
      --zone veth0,02:00:00:00:00:10,10.75.0.10,fdd4:1476:6c7e::10,8080:80,5353:53/udp \
      [--host-tap 02:00:00:00:00:02,10.75.0.2,fdd4:1476:6c7e::2]
  --zone IFNAME,MAC,IP4,IP6[,HOSTPORT:ZONEPORT[/udp]]...: IFNAME is the host end of the
  zone's link (a veth); each extra field forwards a host port (TCP unless /udp).

DNS: queries to the gateway's port 53 go to --dns servers, else to the nameservers of
/etc/resolv.conf (at most 3). SIGINT/SIGTERM detach every zone and exit.)";

int Fail(const std::string& message) {
  std::fprintf(stderr, "kratanet: %s\n", message.c_str());
  return 1;
}

// The switch as the attacher's sink: opens the zone's packet link and attaches it.
class SwitchSink final : public ZoneSink {
 public:
  explicit SwitchSink(Switch& sw) : sw_(sw) {}
  Status Attach(const DesiredZone& zone) override {
    std::unique_ptr<Link> link = TRY(OpenPacketLink(zone.ifname));
    // Best effort: frames must arrive one MTU-sized frame at a time (GRO off).
    Status off = rtnl::DisableSegmentationOffload(zone.ifname);
    if (!off.has_value()) spdlog::debug("{}: {}", zone.ifname, off.error().ToString());
    return sw_.AttachZone(zone.addrs, std::move(link), zone.forwards);
  }
  void Detach(const DesiredZone& zone) override { sw_.DetachZone(zone.id); }

 private:
  Switch& sw_;
};

struct Args {
  std::string connection;
  std::string store;
  bool standalone = false;
  std::string gateway_mac, gateway4, gateway6;
  std::vector<std::string> zones;
  std::string host_tap;  // standalone: MAC,IP4,IP6
  std::string tap_name = "krata0";
  bool no_host_tap = false;
  std::vector<std::string> dns;
  std::string resolv_conf = "/etc/resolv.conf";
  uint16_t mtu = 1500;
  unsigned attach_timeout_s = 30;
};

Result<HostTap> ParseHostTap(const std::string& text, const std::string& ifname) {
  size_t a = text.find(',');
  size_t b = a == std::string::npos ? a : text.find(',', a + 1);
  if (b == std::string::npos) return Error::Invalid("--host-tap", "expected MAC,IP4,IP6");
  HostTap tap;
  tap.ifname = ifname;
  tap.mac = TRY(ParseMac(std::string_view(text).substr(0, a)));
  tap.ip4 = TRY(ParseIp(std::string_view(text).substr(a + 1, b - a - 1)));
  tap.ip6 = TRY(ParseIp(std::string_view(text).substr(b + 1)));
  if (tap.ip4.v6 || !tap.ip6.v6) return Error::Invalid("--host-tap", "expected MAC,IP4,IP6");
  return tap;
}

Result<std::vector<Endpoint>> DnsServers(const Args& args) {
  std::vector<Endpoint> out;
  for (const std::string& s : args.dns) {
    Result<Endpoint> e = ParseDnsServer(s);
    if (!e.has_value()) return std::move(e.error()).With("--dns " + s);
    out.push_back(*e);
  }
  if (!out.empty()) return out;
  Result<std::string> text = ReadFile(args.resolv_conf, 64 << 10);
  if (!text.has_value()) {
    spdlog::warn("{}: {}", args.resolv_conf, text.error().ToString());
    return out;
  }
  return ParseResolvConf(*text);
}

// The switch's configuration from the command line (standalone) or from kratad.
Result<SwitchOptions> StandaloneOptions(const Args& args) {
  SwitchOptions o;
  if (args.gateway_mac.empty() || args.gateway4.empty() || args.gateway6.empty()) {
    return Error::Invalid("--standalone", "needs --gateway-mac, --gateway4 and --gateway6");
  }
  o.gateway.mac = TRY(ParseMac(args.gateway_mac));
  auto [ip4, subnet4] = TRY(ParseAddressInSubnet(args.gateway4));
  auto [ip6, subnet6] = TRY(ParseAddressInSubnet(args.gateway6));
  if (ip4.v6 || !ip6.v6) {
    return Error::Invalid("--standalone", "--gateway4 takes IPv4/PREFIX, --gateway6 IPv6/PREFIX");
  }
  o.gateway.ip4 = ip4;
  o.gateway.ip6 = ip6;
  o.gateway.subnet4 = subnet4;
  o.gateway.subnet6 = subnet6;
  if (!args.host_tap.empty() && !args.no_host_tap) {
    o.host_tap = TRY(ParseHostTap(args.host_tap, args.tap_name));
  }
  return o;
}

Result<SwitchOptions> KratadOptions(const Args& args, std::shared_ptr<grpc::Channel>& channel) {
  std::string url = args.connection;
  if (url.empty()) {
    url = args.store.empty() ? std::string(ctl::kDefaultConnection)
                             : "unix://" + args.store + "/daemon.socket";
  }
  ctl::Connection conn = TRY(ctl::Connect(url));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::control::GetHostStatusReply reply;
  grpc::Status st = conn.stub->GetHostStatus(&ctx, v1::control::GetHostStatusRequest(), &reply);
  if (!st.ok()) return Error::Invalid("GetHostStatus", ctl::StatusText(st));
  ZoneNetwork net = TRY(NetworkFromHostStatus(reply));
  SwitchOptions o;
  o.gateway = net.gateway;
  if (!args.no_host_tap) {
    if (net.host_tap.has_value()) {
      o.host_tap = net.host_tap;
      o.host_tap->ifname = args.tap_name;
    } else {
      spdlog::warn("kratad reports no host address on the zone network: no {}", args.tap_name);
    }
  }
  channel = conn.channel;
  spdlog::info("kratad at {}: zone network {} {}, gateway {} {} {}", url,
               ToString(o.gateway.subnet4), ToString(o.gateway.subnet6), ToString(o.gateway.ip4),
               ToString(o.gateway.ip6), ToString(o.gateway.mac));
  return o;
}

void LogHostTap(const SwitchOptions& o) {
  if (!o.host_tap.has_value()) return;
  // The switch gave the TAP these addresses (net/stack/switch.h, HostTap).
  spdlog::info("host: {} {} {} on {}", ToString(o.host_tap->ip4), ToString(o.host_tap->ip6),
               ToString(o.host_tap->mac), o.host_tap->ifname);
}

int Run(const Args& args) {
  // Blocked before any thread starts (gRPC's included), taken by the loop through a signalfd.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  UniqueFd sigfd(signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd) return Fail("signalfd: " + std::string(std::strerror(errno)));

  std::vector<DesiredZone> standalone_zones;
  std::shared_ptr<grpc::Channel> channel;
  Result<SwitchOptions> opts = SwitchOptions();
  if (args.standalone) {
    for (const std::string& z : args.zones) {
      Result<DesiredZone> d = ParseZoneSpec(z);
      if (!d.has_value()) return Fail("--zone " + z + ": " + d.error().ToString());
      standalone_zones.push_back(std::move(*d));
    }
    opts = StandaloneOptions(args);
  } else {
    if (!args.zones.empty() || !args.gateway4.empty() || !args.host_tap.empty()) {
      return Fail("--zone, --gateway* and --host-tap need --standalone");
    }
    opts = KratadOptions(args, channel);
  }
  if (!opts.has_value()) return Fail(opts.error().ToString());
  opts->gateway.mtu = args.mtu;
  Result<std::vector<Endpoint>> dns = DnsServers(args);
  if (!dns.has_value()) return Fail(dns.error().ToString());
  opts->gateway.dns_upstreams = *dns;
  if (dns->empty()) {
    spdlog::warn("no DNS servers (--dns or {}): zones' DNS queries will fail", args.resolv_conf);
  }
  for (const Endpoint& e : *dns) spdlog::info("dns upstream {}", ToString(e));

  Result<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.has_value()) return Fail(loop.error().ToString());
  Result<std::unique_ptr<Switch>> sw = Switch::Create(**loop, *opts);
  if (!sw.has_value()) return Fail(sw.error().ToString());
  LogHostTap(*opts);

  SwitchSink sink(**sw);
  ZoneTracker tracker;
  ZoneAttacher attacher(
      **loop, sink, AttachOptions{.attach_timeout = std::chrono::seconds(args.attach_timeout_s)});
  Status added = (*loop)->Add(sigfd.get(), EPOLLIN, [&](uint32_t) {
    signalfd_siginfo si{};
    if (RetryEintr([&] { return ::read(sigfd.get(), &si, sizeof(si)); }) > 0) {
      spdlog::info("signal {}: detaching zones and stopping", si.ssi_signo);
      (*loop)->Stop();
    }
  });
  if (!added.has_value()) return Fail(added.error().ToString());

  std::unique_ptr<UpdateQueue> queue;
  std::unique_ptr<KratadFollower> follower;
  if (args.standalone) {
    attacher.Apply(tracker.Replace(standalone_zones));
  } else {
    Result<std::unique_ptr<UpdateQueue>> q = UpdateQueue::Create();
    if (!q.has_value()) return Fail(q.error().ToString());
    queue = std::move(*q);
    added = (*loop)->Add(queue->fd(), EPOLLIN, [&](uint32_t) {
      for (const ZoneUpdate& u : queue->Drain()) {
        attacher.Apply(u.kind == ZoneUpdate::Kind::kSnapshot ? tracker.Replace(u.zones)
                                                             : tracker.Update(u.id, u.zone));
      }
    });
    if (!added.has_value()) return Fail(added.error().ToString());
    follower = std::make_unique<KratadFollower>(channel, *queue);
    follower->Start();
  }

  Status ran = (*loop)->Run();
  if (follower) follower->Stop();
  attacher.DetachAll();
  SwitchStats s = (*sw)->stats();
  spdlog::info("frames in {} out {}; dropped: malformed {} spoofed {} fragments {} unroutable {}",
               s.frames_in, s.frames_out, s.malformed, s.spoofed, s.fragments, s.unroutable);
  if (!ran.has_value()) return Fail(ran.error().ToString());
  return 0;
}

}  // namespace
}  // namespace krata::net::kratanet

int main(int argc, char** argv) {
  krata::net::kratanet::Args a;
  std::string log_level = "info";
  CLI::App app{krata::net::kratanet::kHelp};
  app.add_option("-c,--connection", a.connection,
                 "kratad address (default unix:///var/lib/krata/daemon.socket)")
      ->envname("KRATA_CONNECTION");
  app.add_option("-s,--store", a.store, "kratad's state directory: connect to STORE/daemon.socket");
  app.add_flag("--standalone", a.standalone, "No kratad: serve the --zone links given");
  app.add_option("--gateway-mac", a.gateway_mac, "Standalone: the gateway's MAC");
  app.add_option("--gateway4", a.gateway4, "Standalone: gateway IPv4/PREFIX (the zone subnet)");
  app.add_option("--gateway6", a.gateway6, "Standalone: gateway IPv6/PREFIX");
  app.add_option("--zone", a.zones, "Standalone: IFNAME,MAC,IP4,IP6[,HOSTPORT:ZONEPORT[/udp]]...");
  app.add_option("--host-tap", a.host_tap, "Standalone: MAC,IP4,IP6 of the host on the TAP");
  app.add_option("--tap-name", a.tap_name, "The host's TAP device")->capture_default_str();
  app.add_flag("--no-host-tap", a.no_host_tap, "No TAP: the host reaches zones only by forwards");
  app.add_option("--dns", a.dns, "Upstream DNS server IP[:PORT] or [IPv6]:PORT (repeatable)");
  app.add_option("--resolv-conf", a.resolv_conf, "Where the default DNS servers come from")
      ->capture_default_str();
  app.add_option("--mtu", a.mtu, "IP MTU of the zone links")
      ->capture_default_str()
      ->check(CLI::Range(1280, 9000));
  app.add_option("--attach-timeout", a.attach_timeout_s,
                 "Seconds to wait for a zone's interface to appear")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  ::setenv("KRATA_LOG", log_level.c_str(), 0);  // $KRATA_LOG still wins
  krata::InitLogging("info");
  return krata::net::kratanet::Run(a);
}
