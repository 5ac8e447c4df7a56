#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace plinth::core {

void init_logging(int verbosity) {
  auto logger = spdlog::stderr_color_mt("plinth");
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::level::level_enum level = spdlog::level::warn;
  if (verbosity == 1) level = spdlog::level::info;
  if (verbosity == 2) level = spdlog::level::debug;
  if (verbosity >= 3) level = spdlog::level::trace;
  spdlog::set_level(level);
}

}  // namespace plinth::core
