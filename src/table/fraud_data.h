#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "table/table.h"

namespace plinth::table {

// The handbook's card transactions, for demos, tests and benchmarks. Columns:
//   transaction_id (string), user_id (string), event_timestamp (timestamp), amount (float64),
//   merchant_category (string), hour_of_day (int64, from event_timestamp), day_of_week
//   (int64, 0 = Monday), transaction_velocity (float64, transactions in the last hour),
//   distance_from_home (float64, km), is_fraud (int64, 0 or 1).
// About 2% of rows are fraud; fraud is more likely at high amounts, at night, at high velocity,
// far from home and in online, electronics and travel, through a noisy logistic model, so no
// single rule separates the classes. Every row depends only on the seed and its index: the
// same options give the same table, in any batch size.
struct FraudOptions {
  uint64_t seed = 42;
  // Multiplies a numeric column (amount, transaction_velocity, distance_from_home) before
  // labels are drawn: covariate drift for monitoring demos.
  std::map<std::string, double> shift;
  // Relative weights replacing the default category frequencies, by category name; categories
  // not named keep their default weight.
  std::map<std::string, double> category_mix;
  // event_timestamp of the first row, UTC nanoseconds; rows spread over kFraudSpan.
  int64_t start = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z
};

// The time the rows of a data set spread over: 30 days, in nanoseconds.
inline constexpr int64_t kFraudSpan = 30LL * 86400 * 1'000'000'000;

extern const std::vector<std::string> kMerchantCategories;

// Checks the names in `options` (throws Error(kInvalidInput) naming a bad one).
void validate(const FraudOptions& options);

// Rows [first, first + count) of a data set of `total` rows.
Table generate_fraud(const FraudOptions& options, size_t total, size_t first, size_t count);

// "COLUMN=FACTOR" and "cat=w,cat=w" command-line forms; throw Error(kInvalidInput).
std::pair<std::string, double> parse_shift(const std::string& text);
std::map<std::string, double> parse_category_mix(const std::string& text);

}  // namespace plinth::table
