#include "core/random_id.h"

#include <random>

namespace plinth::core {

std::string random_hex(size_t digits) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* kHex = "0123456789abcdef";
  std::string s(digits, '0');
  uint64_t bits = 0;
  for (size_t i = 0; i < digits; ++i) {
    if (i % 16 == 0) bits = rng();
    s[i] = kHex[bits & 15];
    bits >>= 4;
  }
  return s;
}

}  // namespace plinth::core
