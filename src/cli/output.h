#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace plinth::cli {

// Pretty JSON on stdout, for --json.
void print_json(const nlohmann::json& value);

// "1 file", "3 files".
std::string plural(size_t n, const std::string& noun);

}  // namespace plinth::cli
