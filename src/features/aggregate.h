#pragma once

// Windowed aggregations, computed by one piece of code for both sides of the feature store:
// the offline point-in-time join feeds each entity key's events and asks for the values as of
// each entity row's time; the online side keeps one WindowState per entity key, adds events as
// they are pushed and asks for the values when it serves them. Same events, same time, same
// bits: the value is a function of the events inside the window only (summed in event order),
// never of the history of additions and evictions, so the two sides cannot drift apart.
//
// Semantics (see definitions.h): the window of an aggregation with window w as of time t is
// (t - w, t]. Events are ordered by (event time, created time, order of arrival); `last` is
// the last event in that order.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "features/definitions.h"

namespace plinth::features {

// What a view's aggregations read: the distinct source columns they use.
struct AggregationPlan {
  explicit AggregationPlan(std::vector<Aggregation> aggregations);

  std::vector<Aggregation> aggregations;
  std::vector<std::string> columns;  // distinct non-empty input columns, in first-use order
  std::vector<int> column_of;        // per aggregation: index into `columns`; -1 = count events
  int64_t max_window = 0;            // the longest window: how far back events are kept
};

// The events of one entity key that can still fall into a window, and the aggregates over
// them. Memory is bounded by the events inside the plan's longest window.
class WindowState {
 public:
  explicit WindowState(const AggregationPlan& plan) : plan_(&plan) {}

  // Adds one event: values[i] and valid[i] (0 = null; NaN counts as null) for plan.columns[i].
  // Events may arrive in any order; they are kept sorted (equal event and created times: arrival
  // order). An event already older than every window still to be evaluated (ts <= horizon()) is
  // dropped and false returned.
  bool add(int64_t ts, int64_t created, std::span<const double> values,
           std::span<const uint8_t> valid);

  // The aggregates as of `t`, one per plan.aggregations entry (nullopt = null), written to
  // `out`. Afterwards events at or before t - max_window are forgotten, so later calls must
  // not ask about a time before `t` (they would miss those events).
  void evaluate(int64_t t, std::span<std::optional<double>> out);

  // Events at or before this time can no longer be in any window evaluated from now on.
  int64_t horizon() const { return horizon_; }
  size_t size() const { return ts_.size() - head_; }

  // A compact byte string of the state (for online stores that keep it between processes),
  // and back. deserialize throws Error(kCorrupted) for bytes that are not such a state.
  std::string serialize() const;
  static WindowState deserialize(const AggregationPlan& plan, std::string_view bytes);

 private:
  void evict_through(int64_t cutoff);

  const AggregationPlan* plan_;
  // Events head_.. end, sorted; values are row-major, plan.columns.size() per event.
  std::vector<int64_t> ts_;
  std::vector<int64_t> created_;
  std::vector<double> values_;
  std::vector<uint8_t> valid_;
  size_t head_ = 0;
  int64_t horizon_ = INT64_MIN;
};

// One aggregate over the values of a window in event order (nulls already removed):
// count -> number of values; sum -> compensated sum; mean; min; max; stddev (sample, n - 1);
// last -> the final value. Empty input: count/sum 0, others null; stddev needs two values.
std::optional<double> aggregate(AggregationFunction function, std::span<const double> values);

}  // namespace plinth::features
