#include "core/utc_time.h"

#include <chrono>

namespace plinth::core {

std::string format_utc(std::time_t t, const char* format) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[128];
  size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

std::string format_utc_now(const char* format) {
  return format_utc(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()), format);
}

}  // namespace plinth::core
