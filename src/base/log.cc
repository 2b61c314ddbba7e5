#include "base/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <string>

namespace krata {

void InitLogging(std::string_view default_level) {
  auto logger = spdlog::stderr_color_mt("krata");
  logger->set_pattern("%^%L%$ %H:%M:%S.%e %v");
  spdlog::set_default_logger(logger);
  const char* env = std::getenv("KRATA_LOG");
  std::string level = env != nullptr ? env : std::string(default_level);
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace krata
