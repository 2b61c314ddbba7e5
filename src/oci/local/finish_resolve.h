#pragma once
// The checks ResolveImage (oci/resolve.cc) applies once manifest and config are known, shared
// by the local sources: platform from the config must fit the wanted one, diff_ids must match
// the layer count.

#include "base/result.h"
#include "oci/platform.h"
#include "oci/resolve.h"

namespace krata::oci::local {

// Parses out.config_bytes into out.config and fills out.platform; `name` is for messages.
Status FinishResolve(ResolvedImage& out, const Platform& wanted, const std::string& name);

}  // namespace krata::oci::local
