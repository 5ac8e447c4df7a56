#pragma once

// Windowed aggregations online: one WindowState (features/aggregate.h, the code the offline
// join uses) per entity key, kept in the online store under aggregation_state_view(view).
// Pushed events are added to it atomically; reads evaluate it as of the request's time. Each
// state forgets events that no window as of its newest event can reach, so memory per entity
// is bounded by the events within the longest window.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "features/definitions.h"
#include "features/online_store.h"

namespace plinth::features {

// Events for `view`: per event its entity key, times, and per plan column (AggregationPlan of
// view.aggregations) its value and validity.
struct AggregationEvents {
  std::vector<std::string> keys;
  std::vector<int64_t> ts, created;
  std::vector<std::vector<double>> values;  // [plan column][event]
  std::vector<std::vector<uint8_t>> valid;  // [plan column][event]
};

// Adds the events to their entities' states (one atomic update per entity key, events in
// the given order).
void add_online_events(OnlineStore& store, const FeatureView& view,
                       const AggregationEvents& events);

struct OnlineAggregates {
  std::vector<std::vector<std::optional<double>>> values;  // [aggregation][key]
  std::vector<int64_t> event_ts;                           // newest event per key; 0: none
  std::vector<bool> found;                                 // whether the key has a state
};

// The view's aggregates as of `as_of` for each key (a key without events gets what an empty
// window gives: count and sum 0, the others null). `as_of` must not precede the newest event
// of an entity by more than the longest window, which "now" never does.
OnlineAggregates read_online_aggregates(OnlineStore& store, const FeatureView& view,
                                        const std::vector<std::string>& keys, int64_t as_of);

}  // namespace plinth::features
