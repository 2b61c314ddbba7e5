// kratactl: the krata command-line client (docs/CLI.md).

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>

#include "base/log.h"
#include "ctl/client.h"
#include "ctl/host_network.h"
#include "ctl/host_status.h"
#include "ctl/zone_commands.h"
#include "xen/call/privcmd.h"

namespace krata::ctl {
namespace {

int Fail(const Error& e) {
  std::fprintf(stderr, "kratactl: %s\n", e.ToString().c_str());
  return 1;
}

// kratad's zone network, when a daemon answers at `connection` (a missing socket file is
// not waited for: host status works without kratad).
std::optional<v1::control::GetHostStatusReply> DaemonHost(const std::string& connection) {
  constexpr std::string_view kUnix = "unix://";
  if (connection.rfind(kUnix, 0) == 0 &&
      ::access(connection.substr(kUnix.size()).c_str(), F_OK) != 0) {
    return std::nullopt;
  }
  Result<Connection> conn = Connect(connection);
  if (!conn.has_value()) return std::nullopt;
  Result<v1::control::GetHostStatusReply> host = QueryDaemonHost(*conn);
  if (!host.has_value()) {
    std::fprintf(stderr, "kratactl: %s\n", host.error().ToString().c_str());
    return std::nullopt;
  }
  return *host;
}

int RunHostStatus(const std::string& format, const std::string& connection) {
  Result<std::unique_ptr<xen::Privcmd>> privcmd = xen::OpenLinuxPrivcmd();
  if (!privcmd.has_value()) return Fail(privcmd.error());
  xen::XenCall xc(**privcmd);
  Result<xen::store::XsClient> xs = xen::store::XsClient::ConnectDefault();
  if (!xs.has_value()) return Fail(xs.error());
  Result<HostStatus> status = QueryHostStatus(xc, *xs);
  if (!status.has_value()) return Fail(status.error());
  std::optional<v1::control::GetHostStatusReply> daemon = DaemonHost(connection);
  std::string out;
  if (format == "json") {
    nlohmann::json j = HostStatusJson(*status);
    if (daemon.has_value()) AddNetworkJson(*daemon, j);
    out = j.dump() + "\n";
  } else {
    out = FormatHostStatusText(*status);
    out += daemon.has_value() ? FormatNetworkText(*daemon)
                              : "Zone network:     (kratad not running)\n";
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace
}  // namespace krata::ctl

int main(int argc, char** argv) {
  using krata::ctl::Connection;
  krata::InitLogging();
  ::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"kratactl: run OCI images as Xen PV zones"};
  app.require_subcommand(1);
  std::string connection(krata::ctl::kDefaultConnection);
  app.add_option("--connection", connection, "kratad address (unix:///path)")
      ->envname("KRATA_CONNECTION")
      ->capture_default_str();

  // host
  CLI::App* host = app.add_subcommand("host", "Inspect the Xen host")->require_subcommand(1);
  CLI::App* status = host->add_subcommand(
      "status",
      "Show the Xen version, CPUs, memory and host domain (run in dom0 as root), and kratad's "
      "zone network when kratad runs");
  std::string host_format = "text";
  status->add_option("-f,--format", host_format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  // zone
  CLI::App* zone = app.add_subcommand("zone", "Launch and manage zones")->require_subcommand(1);
  krata::ctl::LaunchOptions launch_opts;
  CLI::App* launch = zone->add_subcommand("launch", "Pull an image and launch it as a zone");
  launch->add_option("-n,--name", launch_opts.name, "Zone name (unique)");
  launch->add_option("-e,--env", launch_opts.env, "Environment variable KEY=VALUE")
      ->allow_extra_args(false);
  launch->add_option("-w,--working-directory", launch_opts.working_directory,
                     "Working directory of the command");
  launch->add_option("-u,--user", launch_opts.user, "User (name, uid, uid:gid)");
  launch
      ->add_option("-p,--port", launch_opts.ports,
                   "Forward a host port to the zone: HOSTPORT:ZONEPORT[/tcp|/udp] (repeatable)")
      ->allow_extra_args(false)
      ->check([](const std::string& text) {  // before connecting: a typo needs no kratad
        auto p = krata::ctl::ParsePortForward(text);
        return p.has_value() ? std::string() : p.error().ToString();
      });
  launch->add_option("-m,--memory", launch_opts.memory_mib, "Memory in MiB");
  launch->add_option("-c,--cpus", launch_opts.cpus, "Virtual CPUs");
  launch->add_option("--format", launch_opts.format, "Image format")
      ->check(CLI::IsMember({"squashfs", "erofs"}))
      ->capture_default_str();
  CLI::Option* attach_flag =
      launch->add_flag("-a,--attach", launch_opts.attach,
                       "Attach to the console; exit with the workload's exit code");
  launch->add_flag("-W,--wait", launch_opts.wait, "Wait for the zone to stop; exit with its code")
      ->excludes(attach_flag);
  CLI::Option* kernel_opt =
      launch->add_option("--kernel", launch_opts.kernel, "Kernel (host path)");
  CLI::Option* initrd_opt =
      launch->add_option("--initrd", launch_opts.initrd, "Initrd (host path)");
  kernel_opt->needs(initrd_opt);
  initrd_opt->needs(kernel_opt);
  launch->add_option("image", launch_opts.image, "OCI image (alpine:latest, docker://..., oci:DIR)")
      ->required();
  launch->add_option("command", launch_opts.command, "Command and arguments (after --)");

  CLI::App* list = zone->add_subcommand("list", "List zones");
  std::string list_format = "table";
  list->add_option("-f,--format", list_format, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();

  CLI::App* destroy = zone->add_subcommand("destroy", "Destroy zones");
  std::vector<std::string> destroy_zones;
  bool destroy_wait = false;
  destroy->add_flag("-W,--wait", destroy_wait, "Wait until the zones are gone");
  destroy->add_option("zone", destroy_zones, "Zone names or ids")->required();

  CLI::App* logs = zone->add_subcommand("logs", "Print a zone's console output");
  std::string logs_zone;
  bool follow = false;
  logs->add_flag("-f,--follow", follow, "Keep printing until the zone stops");
  logs->add_option("zone", logs_zone, "Zone name or id")->required();

  CLI::App* attach = zone->add_subcommand("attach", "Attach to a zone's console (Ctrl-] detaches)");
  std::string attach_zone;
  attach->add_option("zone", attach_zone, "Zone name or id")->required();

  // image
  CLI::App* image = app.add_subcommand("image", "Manage images")->require_subcommand(1);
  CLI::App* pull = image->add_subcommand("pull", "Pull and pack an image into kratad's cache");
  std::string pull_image, pull_format = "squashfs";
  pull->add_option("--format", pull_format, "Image format")
      ->check(CLI::IsMember({"squashfs", "erofs"}))
      ->capture_default_str();
  pull->add_option("image", pull_image, "OCI image")->required();

  CLI11_PARSE(app, argc, argv);
  if (status->parsed()) return krata::ctl::RunHostStatus(host_format, connection);

  krata::Result<Connection> conn = krata::ctl::Connect(connection);
  if (!conn.has_value()) return krata::ctl::Fail(conn.error());
  if (launch->parsed()) return krata::ctl::ZoneLaunch(*conn, launch_opts);
  if (list->parsed()) return krata::ctl::ZoneList(*conn, list_format);
  if (destroy->parsed()) return krata::ctl::ZoneDestroy(*conn, destroy_zones, destroy_wait);
  if (logs->parsed()) return krata::ctl::ZoneLogs(*conn, logs_zone, follow);
  if (attach->parsed()) return krata::ctl::ZoneAttach(*conn, attach_zone);
  if (pull->parsed()) return krata::ctl::ImagePull(*conn, pull_image, pull_format);
  return 0;
}
