#include "cli/output.h"

#include <iostream>

namespace plinth::cli {

void print_json(const nlohmann::json& value) { std::cout << value.dump(2) << "\n"; }

std::string plural(size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

}  // namespace plinth::cli
