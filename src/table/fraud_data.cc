#include "table/fraud_data.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/error.h"

namespace plinth::table {

const std::vector<std::string> kMerchantCategories = {
    "grocery", "gas", "restaurant", "online", "electronics", "travel", "entertainment", "health"};

namespace {

constexpr double kDefaultMix[] = {0.25, 0.15, 0.18, 0.15, 0.07, 0.05, 0.08, 0.07};
// Extra log-odds of fraud per category.
constexpr double kCategoryRisk[] = {-0.6, -0.3, -0.5, 1.1, 1.2, 0.9, 0.0, -0.4};
// Legitimate spending by hour of day (fraud is drawn flat, see below).
constexpr double kHourWeight[] = {0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.5, 1.0, 1.5, 1.8, 2.0, 2.2,
                                  2.5, 2.3, 2.0,  2.0, 2.1, 2.4, 2.6, 2.3, 1.8, 1.3, 0.9, 0.5};
constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kDays = kFraudSpan / (86400 * kNanosPerSecond);
const char* const kShiftable[] = {"amount", "transaction_velocity", "distance_from_home"};

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A small deterministic generator per row: the same on every platform and run.
class RowRandom {
 public:
  RowRandom(uint64_t seed, uint64_t row) : state_(seed * 0x2545f4914f6cdd1dULL ^ row) {
    splitmix64(state_);
  }
  double uniform() { return static_cast<double>(splitmix64(state_) >> 11) * 0x1.0p-53; }
  double normal() {
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * M_PI * u2);
  }
  size_t pick(const double* weights, size_t n) {
    double total = 0;
    for (size_t i = 0; i < n; ++i) total += weights[i];
    double x = uniform() * total;
    for (size_t i = 0; i < n; ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return n - 1;
  }

 private:
  uint64_t state_;
};

// Rounds to 1/scale (scale 100: cents), so the shortest decimal form has that many digits.
double round_to(double v, double scale) { return std::round(v * scale) / scale; }

double factor(const FraudOptions& o, const char* column) {
  auto it = o.shift.find(column);
  return it == o.shift.end() ? 1.0 : it->second;
}

double parse_number(const std::string& text, const std::string& what) {
  double v;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || !(v >= 0) || std::isinf(v))
    throw Error(ErrorCode::kInvalidInput, what + ": '" + text + "' is not a non-negative number");
  return v;
}

}  // namespace

void validate(const FraudOptions& o) {
  for (const auto& [col, f] : o.shift) {
    bool ok = false;
    for (const char* s : kShiftable) ok = ok || col == s;
    if (!ok)
      throw Error(
          ErrorCode::kInvalidInput,
          "--shift: column '" + col +
              "' cannot be shifted; use amount, transaction_velocity or distance_from_home");
  }
  double total = 0;
  for (size_t i = 0; i < kMerchantCategories.size(); ++i) {
    auto it = o.category_mix.find(kMerchantCategories[i]);
    total += it == o.category_mix.end() ? kDefaultMix[i] : it->second;
  }
  for (const auto& [cat, w] : o.category_mix)
    if (std::find(kMerchantCategories.begin(), kMerchantCategories.end(), cat) ==
        kMerchantCategories.end())
      throw Error(ErrorCode::kInvalidInput,
                  "--category-mix: unknown category '" + cat +
                      "'; the categories are grocery, gas, restaurant, online, electronics, "
                      "travel, entertainment, health");
  if (!(total > 0))
    throw Error(ErrorCode::kInvalidInput, "--category-mix: the weights add up to zero");
}

Table generate_fraud(const FraudOptions& o, size_t total, size_t first, size_t count) {
  double mix[8];
  for (size_t i = 0; i < 8; ++i) {
    auto it = o.category_mix.find(kMerchantCategories[i]);
    mix[i] = it == o.category_mix.end() ? kDefaultMix[i] : it->second;
  }
  const double amount_f = factor(o, "amount"), velocity_f = factor(o, "transaction_velocity"),
               distance_f = factor(o, "distance_from_home");
  const uint64_t users = std::max<uint64_t>(100, total / 20);
  std::vector<Column> cols = {
      {"transaction_id", ColumnType::kString},      {"user_id", ColumnType::kString},
      {"event_timestamp", ColumnType::kTimestamp},  {"amount", ColumnType::kFloat64},
      {"merchant_category", ColumnType::kString},   {"hour_of_day", ColumnType::kInt64},
      {"day_of_week", ColumnType::kInt64},          {"transaction_velocity", ColumnType::kFloat64},
      {"distance_from_home", ColumnType::kFloat64}, {"is_fraud", ColumnType::kInt64}};
  for (const auto& c : kMerchantCategories) cols[4].dict.push_back(c);
  char buf[32];
  for (size_t row = first; row < first + count; ++row) {
    RowRandom rng(o.seed, row);
    std::snprintf(buf, sizeof buf, "tx_%010zu", row + 1);
    cols[0].str.push_back(buf);
    // Heavier users first: a skewed pick of the user.
    uint64_t user = static_cast<uint64_t>(std::pow(rng.uniform(), 2.0) * users) + 1;
    std::snprintf(buf, sizeof buf, "user_%06llu", static_cast<unsigned long long>(user));
    cols[1].str.push_back(buf);
    size_t category = rng.pick(mix, 8);
    // A small share of rows come from a "risky session": night-time, fast, far away.
    bool risky = rng.uniform() < 0.04;
    size_t hour = risky && rng.uniform() < 0.6 ? static_cast<size_t>(rng.uniform() * 6)
                                               : rng.pick(kHourWeight, 24);
    int64_t day = static_cast<int64_t>(row * kDays / std::max<size_t>(total, 1));
    int64_t second_of_hour = static_cast<int64_t>(rng.uniform() * 3600);
    int64_t ts = o.start + ((day * 24 + static_cast<int64_t>(hour)) * 3600 + second_of_hour) *
                               kNanosPerSecond;
    int64_t days_since_epoch = ts / (86400 * kNanosPerSecond);
    double amount = std::exp(3.4 + 1.0 * rng.normal() + (risky ? 1.2 : 0.0)) * amount_f;
    double velocity =
        round_to(-std::log(1.0 - rng.uniform()) * (risky ? 4.0 : 1.2) * velocity_f, 100);
    double distance = std::exp(1.6 + 1.1 * rng.normal() + (risky ? 1.5 : 0.0)) * distance_f;
    bool night = hour < 6;
    double logit = -6.2 + 0.9 * std::log(amount / 30.0) + (night ? 1.3 : 0.0) + 0.35 * velocity +
                   0.55 * std::log1p(distance / 10.0) + kCategoryRisk[category] +
                   0.8 * rng.normal();
    bool fraud = rng.uniform() < 1.0 / (1.0 + std::exp(-logit));
    cols[2].i64.push_back(ts);
    cols[3].f64.push_back(std::max(0.5, round_to(amount, 100)));
    cols[4].codes.push_back(static_cast<int32_t>(category));
    cols[5].i64.push_back(static_cast<int64_t>(hour));
    cols[6].i64.push_back((days_since_epoch + 3) % 7);
    cols[7].f64.push_back(velocity);
    cols[8].f64.push_back(round_to(distance, 10));
    cols[9].i64.push_back(fraud ? 1 : 0);
  }
  if (count == 0) cols[4].dict = Strings();
  return Table(std::move(cols));
}

std::pair<std::string, double> parse_shift(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error(ErrorCode::kInvalidInput,
                "--shift '" + text + "': expected COLUMN=FACTOR, e.g. amount=1.5");
  return {text.substr(0, eq), parse_number(text.substr(eq + 1), "--shift " + text.substr(0, eq))};
}

std::map<std::string, double> parse_category_mix(const std::string& text) {
  std::map<std::string, double> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error(ErrorCode::kInvalidInput, "--category-mix '" + text +
                                                "': expected CATEGORY=WEIGHT,..., e.g. "
                                                "online=0.4,travel=0.1");
    out[item.substr(0, eq)] =
        parse_number(item.substr(eq + 1), "--category-mix " + item.substr(0, eq));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace plinth::table
