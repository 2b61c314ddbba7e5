#pragma once
// The OCI parsers use the project's checked JSON helpers under their historical name.
#include "base/json_util.h"

namespace krata::oci {
namespace json_util = krata::json_util;
}  // namespace krata::oci
