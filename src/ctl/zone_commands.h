#pragma once
// The daemon-backed kratactl commands (docs/CLI.md): `zone launch|list|destroy|logs|attach`
// and `image pull`. Each returns the process exit code and prints its own errors on stderr.

#include <cstdint>
#include <string>
#include <vector>

#include "ctl/client.h"
#include "krata/v1/common.pb.h"

namespace krata::ctl {

struct LaunchOptions {
  std::string image;
  std::string name;
  std::vector<std::string> env;  // "KEY=VALUE"
  std::string working_directory;
  std::string user;
  uint64_t memory_mib = 0;  // 0: the daemon's default
  uint32_t cpus = 0;
  std::string format = "squashfs";
  bool attach = false;
  bool wait = false;
  std::string kernel;
  std::string initrd;
  std::vector<std::string> command;
  std::vector<std::string> ports;  // "-p HOSTPORT:ZONEPORT[/tcp|/udp]"
};

int ZoneLaunch(Connection& conn, const LaunchOptions& options);
int ZoneList(Connection& conn, const std::string& format);
int ZoneDestroy(Connection& conn, const std::vector<std::string>& zones, bool wait);
int ZoneLogs(Connection& conn, const std::string& zone, bool follow);
int ZoneAttach(Connection& conn, const std::string& zone);
int ImagePull(Connection& conn, const std::string& image, const std::string& format);

// The exit code kratactl reports for a zone that stopped: the workload's code; 128+N for a
// signal (with "zone killed by signal N (SIGNAME)" on stderr); 1 with the error for a zone
// that failed, vanished or was destroyed.
int ZoneExitCode(const v1::common::Zone& zone);

}  // namespace krata::ctl
