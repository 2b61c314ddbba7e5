#pragma once
// Test support for kratanet: throw-away network namespaces (`ip netns`, names
// kn-<tag>-<pid>), veth pairs configured like krata-zone configures a zone's eth0, and
// RunInNetns to run code in a namespace from the same process. Sockets keep the namespace
// they were created in, so a test creates them through RunInNetns/SocketIn and then uses them
// from any thread: servers in the "host" namespace, clients in the zone's.

#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "base/result.h"
#include "base/unique_handle.h"
#include "net/packet/addr.h"

namespace krata::net::testing {

// Runs argv (no shell) and waits; an error carries the exit status and stderr.
Status RunCommand(const std::vector<std::string>& argv);
// Like RunCommand, returning what it printed on stdout.
Result<std::string> RunCommandOutput(const std::vector<std::string>& argv);
// A command left running in the background; killed (SIGTERM) and reaped on destruction.
class Child {
 public:
  static Result<Child> Spawn(const std::vector<std::string>& argv);
  Child(Child&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  Child& operator=(Child&&) = delete;
  ~Child();

 private:
  explicit Child(int pid) : pid_(pid) {}
  int pid_;
};
// `ip -n <netns> args...` (`ip args...` when netns is empty).
Status Ip(const std::string& netns, const std::vector<std::string>& args);

// Moves the calling thread into /run/netns/<name>.
Status EnterNetns(const std::string& name);

// Runs fn (returning a Result/Status) on a new thread that first enters netns `name`, and
// returns fn's result.
template <typename F>
auto RunInNetns(const std::string& name, F&& fn) -> std::invoke_result_t<F&> {
  using R = std::invoke_result_t<F&>;
  std::optional<R> out;
  std::thread t([&] {
    Status in = EnterNetns(name);
    if (!in.has_value()) {
      out.emplace(std::move(in.error()));
      return;
    }
    out.emplace(fn());
  });
  t.join();
  return std::move(*out);
}

// A socket created in netns `name`.
Result<UniqueFd> SocketIn(const std::string& name, int domain, int type, int protocol = 0);
// Writes a /proc/sys value (e.g. "net/ipv4/ping_group_range") inside netns `name`.
Status WriteSysctl(const std::string& name, const std::string& key, const std::string& value);

// A network namespace with loopback up, deleted on destruction.
class Netns {
 public:
  static Result<Netns> Create(const std::string& tag);
  Netns(Netns&& o) noexcept : name_(std::move(o.name_)) { o.name_.clear(); }
  Netns& operator=(Netns&&) = delete;
  ~Netns();
  const std::string& name() const { return name_; }

 private:
  explicit Netns(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// A zone's side of the network, as krata-zone sets up eth0.
struct ZoneNetConfig {
  std::string host_ifname;  // the veth end left in the host netns (the "vif")
  Mac mac{};
  std::string ip4_cidr, ip6_cidr;  // "10.75.0.2/16", "fdd4:1476:6c7e::2/48"
  std::string gateway4, gateway6;
  uint16_t mtu = 1500;
};

// Creates a veth pair: `cfg.host_ifname` in `host` (IPv6 off, so the host netns stays
// silent on it) and eth0 in `zone` with the MAC, MTU, addresses (IPv6 without DAD), default
// routes via the gateway and segmentation offloads off (rtnl::DisableSegmentationOffload).
Status AddZoneVeth(const Netns& host, const Netns& zone, const ZoneNetConfig& cfg);

}  // namespace krata::net::testing
