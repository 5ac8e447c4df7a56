#pragma once

#include <string>
#include <string_view>

// Pieces of Prometheus' text exposition format (version 0.0.4).
namespace plinth::core {

// A label value with backslash, double quote and newline escaped.
std::string prometheus_label(std::string_view value);

// A sample value: shortest exact decimal, NaN, +Inf or -Inf.
std::string prometheus_number(double value);

}  // namespace plinth::core
