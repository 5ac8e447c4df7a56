#include "features/online_aggregates.h"

#include <map>

#include "features/aggregate.h"
#include "features/online_read.h"

namespace plinth::features {

void add_online_events(OnlineStore& store, const FeatureView& view,
                       const AggregationEvents& events) {
  AggregationPlan plan(view.aggregations);
  const size_t width = plan.columns.size();
  std::map<std::string, std::vector<size_t>> by_key;
  for (size_t e = 0; e < events.keys.size(); ++e) by_key[events.keys[e]].push_back(e);
  std::string state_view = aggregation_state_view(view);
  std::vector<double> values(width);
  std::vector<uint8_t> valid(width);
  std::vector<std::optional<double>> scratch(plan.aggregations.size());
  for (const auto& [key, rows] : by_key) {
    store.update(state_view, key, [&](const std::optional<OnlineRecord>& current) {
      WindowState state =
          current ? WindowState::deserialize(plan, current->value) : WindowState(plan);
      int64_t newest = current ? current->event_ts : INT64_MIN;
      for (size_t e : rows) {
        for (size_t c = 0; c < width; ++c) {
          values[c] = events.values[c][e];
          valid[c] = events.valid[c][e];
        }
        state.add(events.ts[e], events.created[e], values, valid);
        newest = std::max(newest, events.ts[e]);
      }
      // Forget what no window as of the newest event reaches: bounded memory per entity.
      state.evaluate(newest, scratch);
      return std::optional<OnlineRecord>(OnlineRecord{key, newest, state.serialize()});
    });
  }
}

OnlineAggregates read_online_aggregates(OnlineStore& store, const FeatureView& view,
                                        const std::vector<std::string>& keys, int64_t as_of) {
  AggregationPlan plan(view.aggregations);
  OnlineAggregates out;
  out.values.assign(plan.aggregations.size(), std::vector<std::optional<double>>(keys.size()));
  out.event_ts.assign(keys.size(), 0);
  out.found.assign(keys.size(), false);
  auto records = store.read(aggregation_state_view(view), keys);
  std::vector<std::optional<double>> row(plan.aggregations.size());
  for (size_t k = 0; k < keys.size(); ++k) {
    WindowState state =
        records[k] ? WindowState::deserialize(plan, records[k]->value) : WindowState(plan);
    state.evaluate(as_of, row);
    for (size_t a = 0; a < row.size(); ++a) out.values[a][k] = row[a];
    if (records[k]) {
      out.found[k] = true;
      out.event_ts[k] = records[k]->event_ts;
    }
  }
  return out;
}

}  // namespace plinth::features
