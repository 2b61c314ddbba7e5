#include "oci/image_config.h"

#include "oci/json_util.h"
#include "oci/manifest.h"

namespace krata::oci {

namespace {
constexpr std::string_view kOp = "image config";
}  // namespace

Result<ImageConfig> ParseImageConfig(std::string_view bytes) {
  using json_util::Json;
  if (bytes.size() > kMaxConfigBytes) {
    return Error::Invalid(kOp, "config of " + std::to_string(bytes.size()) + " bytes exceeds cap");
  }
  Json j = TRY(json_util::ParseObject(bytes, kOp));
  ImageConfig c;
  c.platform.os = TRY(json_util::OptString(j, "os", kOp)).value_or("");
  c.platform.architecture = TRY(json_util::OptString(j, "architecture", kOp)).value_or("");
  c.platform.variant = TRY(json_util::OptString(j, "variant", kOp)).value_or("");
  c.platform.os_version = TRY(json_util::OptString(j, "os.version", kOp)).value_or("");

  // "config" may be absent or null (scratch images built by hand).
  const Json* cfg = TRY(json_util::OptObject(j, "config", kOp));
  if (cfg != nullptr) {
    c.user = TRY(json_util::OptString(*cfg, "User", kOp)).value_or("");
    c.env = TRY(json_util::OptStringArray(*cfg, "Env", kOp)).value_or(std::vector<std::string>{});
    c.entrypoint = TRY(json_util::OptStringArray(*cfg, "Entrypoint", kOp))
                       .value_or(std::vector<std::string>{});
    c.cmd = TRY(json_util::OptStringArray(*cfg, "Cmd", kOp)).value_or(std::vector<std::string>{});
    c.working_dir = TRY(json_util::OptString(*cfg, "WorkingDir", kOp)).value_or("");
    c.exposed_ports = TRY(json_util::OptObjectKeys(*cfg, "ExposedPorts", kOp));
    c.labels = TRY(json_util::OptStringMap(*cfg, "Labels", kOp));
    c.stop_signal = TRY(json_util::OptString(*cfg, "StopSignal", kOp)).value_or("");
  }

  const Json* rootfs = TRY(json_util::OptObject(j, "rootfs", kOp));
  if (rootfs == nullptr) return Error::Invalid(kOp, "missing rootfs");
  std::string type = TRY(json_util::ReqString(*rootfs, "type", kOp));
  if (type != "layers") return Error::Invalid(kOp, "rootfs.type must be \"layers\"");
  std::vector<std::string> ids =
      TRY(json_util::OptStringArray(*rootfs, "diff_ids", kOp)).value_or(std::vector<std::string>{});
  if (ids.size() > kMaxLayers) return Error::Invalid(kOp, "too many diff_ids");
  for (const std::string& id : ids) {
    Result<Digest> d = Digest::Parse(id);
    if (!d.has_value()) return std::move(d.error()).With("rootfs.diff_ids");
    c.diff_ids.push_back(std::move(*d));
  }
  return c;
}

}  // namespace krata::oci
