#include "oci/local/finish_resolve.h"

#include <string>

#include "oci/image_config.h"

namespace krata::oci::local {

Status FinishResolve(ResolvedImage& out, const Platform& wanted, const std::string& name) {
  out.config = TRY(ParseImageConfig(out.config_bytes));
  const Platform& from_config = out.config.platform;
  if (!from_config.os.empty() && !from_config.architecture.empty()) {
    if (!PlatformMatches(wanted, from_config)) {
      return Error::Invalid("resolve", name + " is built for " +
                                           NormalizePlatform(from_config).ToString() + ", not " +
                                           NormalizePlatform(wanted).ToString());
    }
    out.platform = NormalizePlatform(from_config);
  } else {
    out.platform = NormalizePlatform(wanted);
  }
  if (!out.config.diff_ids.empty() && out.config.diff_ids.size() != out.manifest.layers.size()) {
    return Error::Invalid("resolve", "config lists " + std::to_string(out.config.diff_ids.size()) +
                                         " diff_ids for " +
                                         std::to_string(out.manifest.layers.size()) + " layers");
  }
  return {};
}

}  // namespace krata::oci::local
