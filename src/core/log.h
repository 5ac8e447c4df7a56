#pragma once

#include <spdlog/spdlog.h>

namespace plinth::core {

// Sets up logging on stderr: warnings by default, info with -v, debug with -vv, trace beyond.
// Modules log with spdlog::debug(...) etc.; user-facing results go to stdout, never the log.
void init_logging(int verbosity);

}  // namespace plinth::core
