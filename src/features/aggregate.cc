#include "features/aggregate.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace plinth::features {

AggregationPlan::AggregationPlan(std::vector<Aggregation> aggs) : aggregations(std::move(aggs)) {
  for (const Aggregation& a : aggregations) {
    max_window = std::max(max_window, a.window);
    if (a.column.empty()) {
      column_of.push_back(-1);
      continue;
    }
    auto it = std::find(columns.begin(), columns.end(), a.column);
    column_of.push_back(static_cast<int>(it - columns.begin()));
    if (it == columns.end()) columns.push_back(a.column);
  }
}

bool WindowState::add(int64_t ts, int64_t created, std::span<const double> values,
                      std::span<const uint8_t> valid) {
  if (ts <= horizon_) return false;
  const size_t width = plan_->columns.size();
  // After every event that sorts before or with it: usually the end.
  size_t pos = ts_.size();
  while (pos > head_ && (ts_[pos - 1] > ts || (ts_[pos - 1] == ts && created_[pos - 1] > created)))
    --pos;
  ts_.insert(ts_.begin() + pos, ts);
  created_.insert(created_.begin() + pos, created);
  values_.insert(values_.begin() + pos * width, values.begin(), values.begin() + width);
  valid_.insert(valid_.begin() + pos * width, valid.begin(), valid.begin() + width);
  // NaN is a missing value, as in pandas.
  for (size_t c = 0; c < width; ++c)
    if (std::isnan(values[c])) valid_[pos * width + c] = 0;
  return true;
}

void WindowState::evaluate(int64_t t, std::span<std::optional<double>> out) {
  const size_t width = plan_->columns.size();
  auto ts_begin = ts_.begin() + head_;
  // Events after t are not part of any window as of t.
  size_t hi = std::upper_bound(ts_begin, ts_.end(), t) - ts_.begin();
  std::vector<double> window_values;
  for (size_t i = 0; i < plan_->aggregations.size(); ++i) {
    const Aggregation& agg = plan_->aggregations[i];
    // (t - w, t]: the first event strictly after t - w.
    size_t lo = std::upper_bound(ts_begin, ts_.begin() + hi, t - agg.window) - ts_.begin();
    int column = plan_->column_of[i];
    if (column < 0) {
      out[i] = static_cast<double>(hi - lo);
      continue;
    }
    window_values.clear();
    for (size_t e = lo; e < hi; ++e)
      if (valid_[e * width + column]) window_values.push_back(values_[e * width + column]);
    out[i] = aggregate(agg.function, window_values);
  }
  evict_through(t - plan_->max_window);
}

void WindowState::evict_through(int64_t cutoff) {
  horizon_ = std::max(horizon_, cutoff);
  while (head_ < ts_.size() && ts_[head_] <= horizon_) ++head_;
  // Drop the forgotten prefix once it is the larger part, so memory follows the window.
  if (head_ > 64 && head_ * 2 > ts_.size()) {
    const size_t width = plan_->columns.size();
    ts_.erase(ts_.begin(), ts_.begin() + head_);
    created_.erase(created_.begin(), created_.begin() + head_);
    values_.erase(values_.begin(), values_.begin() + head_ * width);
    valid_.erase(valid_.begin(), valid_.begin() + head_ * width);
    head_ = 0;
  }
}

namespace {

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
T take(std::string_view& in) {
  if (in.size() < sizeof(T))
    throw Error(ErrorCode::kCorrupted,
                "window state is truncated; clear the entity's online state");
  T value;
  std::memcpy(&value, in.data(), sizeof value);
  in.remove_prefix(sizeof value);
  return value;
}

constexpr uint32_t kStateMagic = 0x31574650;  // "PFW1"

}  // namespace

std::string WindowState::serialize() const {
  const size_t width = plan_->columns.size();
  std::string out;
  put<uint32_t>(out, kStateMagic);
  put<uint32_t>(out, static_cast<uint32_t>(width));
  put<int64_t>(out, horizon_);
  put<uint64_t>(out, size());
  for (size_t e = head_; e < ts_.size(); ++e) {
    put(out, ts_[e]);
    put(out, created_[e]);
    for (size_t c = 0; c < width; ++c) {
      put(out, values_[e * width + c]);
      put(out, valid_[e * width + c]);
    }
  }
  return out;
}

WindowState WindowState::deserialize(const AggregationPlan& plan, std::string_view bytes) {
  WindowState state(plan);
  const size_t width = plan.columns.size();
  if (take<uint32_t>(bytes) != kStateMagic || take<uint32_t>(bytes) != width)
    throw Error(ErrorCode::kCorrupted,
                "window state does not match the view's aggregations (were they changed?); "
                "clear the entity's online state and push the events again");
  state.horizon_ = take<int64_t>(bytes);
  uint64_t n = take<uint64_t>(bytes);
  for (uint64_t e = 0; e < n; ++e) {
    state.ts_.push_back(take<int64_t>(bytes));
    state.created_.push_back(take<int64_t>(bytes));
    for (size_t c = 0; c < width; ++c) {
      state.values_.push_back(take<double>(bytes));
      state.valid_.push_back(take<uint8_t>(bytes));
    }
  }
  if (!bytes.empty())
    throw Error(ErrorCode::kCorrupted,
                "window state has trailing bytes; clear the entity's online state");
  return state;
}

std::optional<double> aggregate(AggregationFunction function, std::span<const double> values) {
  const size_t n = values.size();
  // Neumaier's compensated sum: exact enough that mean and stddev agree with pandas'
  // (compensated, add/remove) rolling arithmetic to ~1e-12 relative.
  auto sum = [&] {
    double s = 0, c = 0;
    for (double v : values) {
      double t = s + v;
      c += std::abs(s) >= std::abs(v) ? (s - t) + v : (v - t) + s;
      s = t;
    }
    return s + c;
  };
  switch (function) {
    case AggregationFunction::kCount:
      return static_cast<double>(n);
    case AggregationFunction::kSum:
      return n == 0 ? 0.0 : sum();
    case AggregationFunction::kMean:
      if (n == 0) return std::nullopt;
      return sum() / static_cast<double>(n);
    case AggregationFunction::kMin:
      if (n == 0) return std::nullopt;
      return *std::min_element(values.begin(), values.end());
    case AggregationFunction::kMax:
      if (n == 0) return std::nullopt;
      return *std::max_element(values.begin(), values.end());
    case AggregationFunction::kStddev: {
      if (n < 2) return std::nullopt;
      double mean = sum() / static_cast<double>(n);
      double ss = 0, c = 0;
      for (double v : values) {
        double d = (v - mean) * (v - mean);
        double t = ss + d;
        c += ss >= d ? (ss - t) + d : (d - t) + ss;
        ss = t;
      }
      return std::sqrt((ss + c) / static_cast<double>(n - 1));
    }
    case AggregationFunction::kLast:
      if (n == 0) return std::nullopt;
      return values.back();
  }
  return std::nullopt;
}

}  // namespace plinth::features
