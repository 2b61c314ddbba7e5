#pragma once
// The image configuration (image-spec config.md; Docker's image JSON is the same shape for
// the fields used here): what the guest init needs to start the workload, and rootfs.diff_ids
// to check uncompressed layers. Unknown fields are ignored; known ones are type-checked.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/digest.h"
#include "oci/platform.h"

namespace krata::oci {

struct ImageConfig {
  Platform platform;  // architecture, os, variant, os.version
  std::string user;
  std::vector<std::string> env;         // "KEY=VALUE"
  std::vector<std::string> entrypoint;  // empty if unset
  std::vector<std::string> cmd;
  std::string working_dir;
  std::vector<std::string> exposed_ports;  // "80/tcp"
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::vector<Digest> diff_ids;  // one per layer, uncompressed tar digests
};

// Parses config bytes (capped at kMaxConfigBytes). rootfs.type must be "layers".
Result<ImageConfig> ParseImageConfig(std::string_view bytes);

}  // namespace krata::oci
