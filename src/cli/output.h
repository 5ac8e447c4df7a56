#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace plinth::cli {

// Pretty JSON on stdout, for --json.
void print_json(const nlohmann::json& value);

// Prints rows as aligned columns, the first row being the header.
void print_table(const std::vector<std::vector<std::string>>& rows);

// "1 file", "3 files".
std::string plural(size_t n, const std::string& noun);

}  // namespace plinth::cli
