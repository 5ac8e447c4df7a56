#pragma once

#include <ctime>
#include <string>

namespace plinth::core {

// `t` (seconds since the epoch) in UTC, formatted with strftime's `format`,
// e.g. "%Y%m%dT%H%M%SZ" -> "20261127T120000Z".
std::string format_utc(std::time_t t, const char* format);

// Now, the same way.
std::string format_utc_now(const char* format);

}  // namespace plinth::core
