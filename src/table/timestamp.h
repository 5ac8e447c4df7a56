#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace plinth::table {

// Days since 1970-01-01 of a proleptic Gregorian date (any year).
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);

// ISO 8601 text to UTC nanoseconds: "YYYY-MM-DD", optionally followed by "T" or " " and
// "HH:MM[:SS[.fraction]]" and "Z" or an offset ("+HH:MM", "+HHMM", "+HH", or with "-").
// nullopt when `text` is not such a timestamp or lies outside what int64 nanoseconds hold
// (years 1677-2262).
std::optional<int64_t> parse_timestamp(std::string_view text);

// UTC nanoseconds as "YYYY-MM-DDTHH:MM:SS[.fraction]Z", the fraction without trailing zeros.
std::string format_timestamp(int64_t nanos);

}  // namespace plinth::table
