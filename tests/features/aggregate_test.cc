#include "features/aggregate.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace plinth::features {
namespace {

constexpr int64_t kMinute = 60'000'000'000;

Aggregation agg(AggregationFunction f, std::string column, int64_t window, std::string name) {
  Aggregation a;
  a.function = f;
  a.column = std::move(column);
  a.window = window;
  a.name = std::move(name);
  return a;
}

TEST(Aggregate, EmptyAndSmallInputs) {
  std::vector<double> none;
  EXPECT_EQ(aggregate(AggregationFunction::kCount, none), 0.0);
  EXPECT_EQ(aggregate(AggregationFunction::kSum, none), 0.0);
  EXPECT_FALSE(aggregate(AggregationFunction::kMean, none));
  EXPECT_FALSE(aggregate(AggregationFunction::kLast, none));
  std::vector<double> one{4.0};
  EXPECT_FALSE(aggregate(AggregationFunction::kStddev, one));
  std::vector<double> v{2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_DOUBLE_EQ(*aggregate(AggregationFunction::kMean, v), 5.0);
  EXPECT_DOUBLE_EQ(*aggregate(AggregationFunction::kStddev, v), std::sqrt(32.0 / 7.0));
  EXPECT_EQ(*aggregate(AggregationFunction::kMin, v), 2.0);
  EXPECT_EQ(*aggregate(AggregationFunction::kMax, v), 9.0);
  EXPECT_EQ(*aggregate(AggregationFunction::kLast, v), 9.0);
}

// The window as of t is (t - w, t]: an event exactly w before t has left it.
TEST(WindowState, WindowIsOpenAtTheStartAndClosedAtTheEnd) {
  AggregationPlan plan({agg(AggregationFunction::kCount, "", 60 * kMinute, "n"),
                        agg(AggregationFunction::kSum, "amount", 60 * kMinute, "total"),
                        agg(AggregationFunction::kLast, "amount", 10 * kMinute, "last")});
  WindowState state(plan);
  uint8_t ok = 1;
  for (int64_t minute : {0, 30, 60}) {
    double v = static_cast<double>(minute + 1);
    state.add(minute * kMinute, 0, {&v, 1}, {&ok, 1});
  }
  std::vector<std::optional<double>> out(3);
  state.evaluate(59 * kMinute, out);  // events at 0 and 30
  EXPECT_EQ(out[0], 2.0);
  EXPECT_EQ(out[1], 32.0);
  EXPECT_FALSE(out[2]);               // (49, 59] is empty
  state.evaluate(60 * kMinute, out);  // (0, 60]: 30 and 60
  EXPECT_EQ(out[0], 2.0);
  EXPECT_EQ(out[1], 92.0);
  EXPECT_EQ(out[2], 61.0);
  state.evaluate(120 * kMinute, out);  // (60, 120]: nothing
  EXPECT_EQ(out[0], 0.0);
  EXPECT_EQ(out[1], 0.0);
  EXPECT_EQ(state.size(), 0u);
}

TEST(WindowState, OutOfOrderEventsAndTiesSortByCreatedThenArrival) {
  AggregationPlan plan({agg(AggregationFunction::kLast, "x", 60 * kMinute, "last")});
  WindowState state(plan);
  uint8_t ok = 1;
  double a = 1, b = 2, c = 3, d = 4;
  state.add(10 * kMinute, 5, {&a, 1}, {&ok, 1});
  state.add(10 * kMinute, 3, {&b, 1}, {&ok, 1});  // same ts, older created: before a
  state.add(5 * kMinute, 9, {&c, 1}, {&ok, 1});   // earlier event arriving late
  state.add(10 * kMinute, 5, {&d, 1}, {&ok, 1});  // exact tie with a: arrival order
  std::vector<std::optional<double>> out(1);
  state.evaluate(10 * kMinute, out);
  EXPECT_EQ(out[0], 4.0);
  double nan = std::nan("");
  state.add(11 * kMinute, 0, {&nan, 1}, {&ok, 1});  // NaN is null
  state.evaluate(11 * kMinute, out);
  EXPECT_EQ(out[0], 4.0);
}

TEST(WindowState, SerializesAndDropsEventsBehindTheHorizon) {
  AggregationPlan plan({agg(AggregationFunction::kMean, "x", 60 * kMinute, "m")});
  WindowState state(plan);
  uint8_t ok = 1;
  double a = 1, b = 3;
  state.add(100 * kMinute, 0, {&a, 1}, {&ok, 1});
  std::vector<std::optional<double>> out(1);
  state.evaluate(130 * kMinute, out);
  EXPECT_FALSE(state.add(70 * kMinute, 0, {&b, 1}, {&ok, 1}));  // at the horizon: never counted
  EXPECT_TRUE(state.add(120 * kMinute, 0, {&b, 1}, {&ok, 1}));
  WindowState copy = WindowState::deserialize(plan, state.serialize());
  copy.evaluate(150 * kMinute, out);
  EXPECT_EQ(out[0], 2.0);
  EXPECT_THROW(WindowState::deserialize(plan, "junk"), Error);
}

}  // namespace
}  // namespace plinth::features
