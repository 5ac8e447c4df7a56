#pragma once

#include <cstddef>
#include <string>

namespace plinth::core {

// `digits` random lowercase hex digits (32 have the shape of uuid4().hex): ids, temporary
// names. Thread-safe; seeded from std::random_device once per thread.
std::string random_hex(size_t digits);

}  // namespace plinth::core
