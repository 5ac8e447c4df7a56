#include "features/materialize.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "core/error.h"
#include "core/progress.h"
#include "features/aggregate.h"
#include "features/online_read.h"
#include "features/online_row.h"
#include "features/source_rows.h"
#include "table/timestamp.h"

namespace plinth::features {
using nlohmann::json;

namespace {

constexpr int64_t kWeek = 7 * 24 * 3600 * 1'000'000'000LL;

std::string progress_name(const std::string& view) { return "materialize-progress:" + view; }
std::string intervals_name(const std::string& view) { return "materialized-intervals:" + view; }

std::vector<const FeatureView*> chosen_views(const Registry& registry,
                                             const MaterializeOptions& options) {
  std::vector<const FeatureView*> out;
  if (options.views.empty()) {
    for (const auto& v : registry.feature_views)
      if (v.online) out.push_back(&v);
    return out;
  }
  for (const auto& name : options.views) {
    const FeatureView& v = registry.feature_view(name);
    if (!v.online)
      throw Error(ErrorCode::kInvalidInput,
                  "feature view '" + name +
                      "' is offline only (online: false), so it cannot be materialized; set "
                      "online: true in its definition and run `plinth features apply`");
    out.push_back(&v);
  }
  return out;
}

// A view's window states as of `end`, from its events in (end - longest window, end]: what the
// pushes of those events would have built. Written under the strictly-newer rule, so a state
// that pushes have carried past `end` is kept.
void materialize_aggregations(const FeatureStoreConfig& config, const Registry& registry,
                              OnlineStore& store, const FeatureView& view, int64_t end,
                              size_t batch_size) {
  AggregationPlan plan(view.aggregations);
  SourceRows src =
      read_source_rows(config, registry, view, end - plan.max_window + 1, end, plan.columns);
  std::map<std::string_view, std::vector<size_t>> by_key;
  for (size_t r = 0; r < src.rows(); ++r) by_key[src.keys[r]].push_back(r);
  const size_t width = plan.columns.size();
  std::vector<double> values(width);
  std::vector<uint8_t> valid(width);
  std::vector<std::optional<double>> scratch(plan.aggregations.size());
  std::vector<OnlineRecord> batch;
  std::string state_view = aggregation_state_view(view);
  core::Progress progress("Materializing " + view.name + " aggregates", by_key.size(),
                          core::ProgressUnit::kItems, "entities");
  for (auto& [key, rows] : by_key) {
    std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) {
      return src.ts[a] != src.ts[b] ? src.ts[a] < src.ts[b] : src.created[a] < src.created[b];
    });
    WindowState state(plan);
    for (size_t r : rows) {
      for (size_t c = 0; c < width; ++c) {
        const table::Column& col = *src.extra[c];
        Value v = cell_value(col, r, ValueType::kFloat64);
        auto* d = std::get_if<double>(&v);
        values[c] = d ? *d : 0;
        valid[c] = d ? 1 : 0;
      }
      state.add(src.ts[r], src.created[r], values, valid);
    }
    int64_t newest = src.ts[rows.back()];
    state.evaluate(newest, scratch);
    batch.push_back({std::string(key), newest, state.serialize()});
    if (batch.size() == batch_size) {
      store.write(state_view, batch);
      progress.add(batch.size());
      batch.clear();
    }
  }
  store.write(state_view, batch);
  progress.add(batch.size());
}

MaterializedView materialize_view(const FeatureStoreConfig& config, const Registry& registry,
                                  OnlineStore& store, const FeatureView& view, int64_t start,
                                  int64_t end, size_t batch_size) {
  MaterializedView report{view.name, start, end, 0, 0, 0, 0};
  if (!view.aggregations.empty())
    materialize_aggregations(config, registry, store, view, end, batch_size);
  SourceRows src = read_source_rows(config, registry, view, start, end);
  report.rows_read = src.rows();

  // The winner per entity key: latest event time, then latest created time, then last in
  // source order.
  std::unordered_map<std::string, size_t> winner;
  winner.reserve(src.rows());
  for (size_t r = 0; r < src.rows(); ++r) {
    auto [it, fresh] = winner.try_emplace(src.keys[r], r);
    if (fresh) continue;
    size_t w = it->second;
    if (src.ts[r] > src.ts[w] || (src.ts[r] == src.ts[w] && src.created[r] >= src.created[w]))
      it->second = r;
  }
  std::vector<std::pair<std::string_view, size_t>> order;
  order.reserve(winner.size());
  for (const auto& [k, r] : winner) order.emplace_back(k, r);
  std::sort(order.begin(), order.end());
  report.entities = order.size();

  // Resume: an interrupted run of the same window over the same source recorded its batches.
  json job = {{"start", start}, {"end", end}, {"source", src.fingerprint}, {"batch", batch_size}};
  size_t done = 0;
  if (auto saved = store.get_meta(progress_name(view.name))) {
    json p = json::parse(*saved, nullptr, false);
    if (p.is_object() && p.value("job", json()) == job) done = p.value("batches_done", size_t{0});
  }
  report.resumed_batches = done;

  core::Progress progress("Materializing " + view.name, order.size(), core::ProgressUnit::kItems,
                          "entities");
  std::vector<std::string> names;
  for (const auto& f : view.features) names.push_back(f.name);
  std::vector<Value> values(names.size());
  std::vector<OnlineRecord> batch;
  size_t batches = (order.size() + batch_size - 1) / batch_size;
  progress.add(std::min(order.size(), done * batch_size));
  for (size_t b = done; b < batches; ++b) {
    batch.clear();
    size_t lo = b * batch_size, hi = std::min(order.size(), lo + batch_size);
    for (size_t i = lo; i < hi; ++i) {
      size_t r = order[i].second;
      for (size_t f = 0; f < names.size(); ++f)
        values[f] = cell_value(*src.features[f], r, view.features[f].type);
      batch.push_back({std::string(order[i].first), src.ts[r], encode_row(names, values)});
    }
    json p = {{"job", job}, {"batches_done", b + 1}};
    report.written += store.write(view.name, batch, {{progress_name(view.name), p.dump()}});
    progress.add(hi - lo);
  }
  json intervals = json::array();
  if (auto saved = store.get_meta(intervals_name(view.name))) {
    json p = json::parse(*saved, nullptr, false);
    if (p.is_array()) intervals = p;
  }
  intervals.push_back({start, end});
  store.write(view.name, {},
              {{intervals_name(view.name), intervals.dump()}, {progress_name(view.name), "{}"}});
  return report;
}

}  // namespace

std::vector<MaterializedView> materialize(const FeatureStoreConfig& config,
                                          const Registry& registry, OnlineStore& store,
                                          int64_t start, int64_t end,
                                          const MaterializeOptions& options) {
  if (start > end)
    throw Error(ErrorCode::kInvalidInput, "the start " + table::format_timestamp(start) +
                                              " is after the end " + table::format_timestamp(end) +
                                              "; give START before END");
  std::vector<MaterializedView> out;
  for (const FeatureView* v : chosen_views(registry, options))
    out.push_back(materialize_view(config, registry, store, *v, start, end, options.batch_size));
  return out;
}

std::vector<MaterializedView> materialize_incremental(const FeatureStoreConfig& config,
                                                      const Registry& registry, OnlineStore& store,
                                                      int64_t end, int64_t now,
                                                      const MaterializeOptions& options) {
  std::vector<MaterializedView> out;
  for (const FeatureView* v : chosen_views(registry, options)) {
    auto intervals = materialized_intervals(store, v->name);
    int64_t start = 0;
    if (!intervals.empty()) {
      for (const auto& [s, e] : intervals) start = std::max(start, e);
    } else {
      start = now - (v->ttl > 0 ? v->ttl : 52 * kWeek);
    }
    if (start > end) {
      out.push_back({v->name, start, end, 0, 0, 0, 0});
      continue;
    }
    out.push_back(materialize_view(config, registry, store, *v, start, end, options.batch_size));
  }
  return out;
}

std::vector<std::pair<int64_t, int64_t>> materialized_intervals(OnlineStore& store,
                                                                const std::string& view) {
  std::vector<std::pair<int64_t, int64_t>> out;
  if (auto saved = store.get_meta(intervals_name(view))) {
    json p = json::parse(*saved, nullptr, false);
    if (p.is_array())
      for (const auto& i : p)
        if (i.is_array() && i.size() == 2)
          out.emplace_back(i[0].get<int64_t>(), i[1].get<int64_t>());
  }
  return out;
}

}  // namespace plinth::features
