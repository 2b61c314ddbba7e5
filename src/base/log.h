#pragma once
// Logging: spdlog to stderr. The level comes from $KRATA_LOG (trace, debug, info, warn,
// error, off), default "warn" for tools and "info" for daemons.

#include <spdlog/spdlog.h>

#include <string_view>

namespace krata {

void InitLogging(std::string_view default_level = "warn");

}  // namespace krata
