// kratactl: the krata command-line client.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "base/log.h"
#include "ctl/host_status.h"
#include "xen/call/privcmd.h"

namespace krata::ctl {
namespace {

int Fail(const Error& e) {
  std::fprintf(stderr, "kratactl: %s\n", e.ToString().c_str());
  return 1;
}

int RunHostStatus(const std::string& format) {
  Result<std::unique_ptr<xen::Privcmd>> privcmd = xen::OpenLinuxPrivcmd();
  if (!privcmd.has_value()) return Fail(privcmd.error());
  xen::XenCall xc(**privcmd);
  Result<xen::store::XsClient> xs = xen::store::XsClient::ConnectDefault();
  if (!xs.has_value()) return Fail(xs.error());
  Result<HostStatus> status = QueryHostStatus(xc, *xs);
  if (!status.has_value()) return Fail(status.error());
  std::string out = format == "json" ? FormatHostStatusJson(*status) : FormatHostStatusText(*status);
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace
}  // namespace krata::ctl

int main(int argc, char** argv) {
  krata::InitLogging();
  CLI::App app{"kratactl: run OCI images as Xen PV zones"};
  app.require_subcommand(1);
  CLI::App* host = app.add_subcommand("host", "Inspect the Xen host")->require_subcommand(1);
  CLI::App* status = host->add_subcommand(
      "status", "Show the Xen version, CPUs, memory and host domain (run in dom0 as root)");
  std::string format = "text";
  status->add_option("-f,--format", format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (status->parsed()) return krata::ctl::RunHostStatus(format);
  return 0;
}
