#include "features/online_read.h"

#include <map>

#include "core/error.h"
#include "features/online_aggregates.h"
#include "table/timestamp.h"

namespace plinth::features {
using nlohmann::json;
using nlohmann::ordered_json;

const char* status_name(FeatureStatus status) {
  switch (status) {
    case FeatureStatus::kPresent:
      return "PRESENT";
    case FeatureStatus::kNotFound:
      return "NOT_FOUND";
    case FeatureStatus::kNullValue:
      return "NULL_VALUE";
    case FeatureStatus::kOutsideMaxAge:
      return "OUTSIDE_MAX_AGE";
  }
  return "INVALID";
}

std::string aggregation_state_view(const FeatureView& view) { return view.name + "@aggregates"; }

EntityRows parse_entity_rows(const ordered_json& entities) {
  if (!entities.is_object() || entities.empty())
    throw Error(ErrorCode::kInvalidInput,
                "'entities' must be an object of join-key columns, e.g. "
                "{\"user_id\": [1001, 1002]}");
  EntityRows rows;
  bool first = true;
  for (const auto& [name, values] : entities.items()) {
    if (!values.is_array())
      throw Error(ErrorCode::kInvalidInput,
                  "entities." + name + " must be an array of values, one per entity row");
    if (first) rows.rows = values.size();
    first = false;
    if (values.size() != rows.rows)
      throw Error(ErrorCode::kInvalidInput,
                  "entities." + name + " has " + std::to_string(values.size()) +
                      " values but entities." + rows.names[0] + " has " +
                      std::to_string(rows.rows) + "; every entity column needs one per row");
    rows.names.push_back(name);
    rows.columns.emplace_back(values.begin(), values.end());
  }
  return rows;
}

namespace {

// A join-key value: Feast also accepts integers written as strings.
Value join_value(const json& j, const Field& key, size_t row) {
  std::optional<Value> v = json_value(j, key.type);
  if (!v && j.is_string() && (key.type == ValueType::kInt64 || key.type == ValueType::kInt32)) {
    const std::string& s = j.get_ref<const std::string&>();
    char* end = nullptr;
    long long n = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end == s.c_str() + s.size()) v = Value{int64_t(n)};
  }
  if (!v || std::holds_alternative<std::monostate>(*v))
    throw Error(ErrorCode::kInvalidInput, "entities." + key.name + "[" + std::to_string(row) +
                                              "] is " + j.dump() +
                                              ", not a value of the join key's type " +
                                              std::string(value_type_name(key.type)));
  return *v;
}

std::string whole_seconds(int64_t ns) {
  int64_t s = ns >= 0 ? ns / 1'000'000'000 : -((-ns + 999'999'999) / 1'000'000'000);
  return table::format_timestamp(s * 1'000'000'000);
}

}  // namespace

std::vector<OnlineColumn> read_online(OnlineStore& store, const std::vector<FeatureRef>& features,
                                      const EntityRows& entities, bool full_feature_names,
                                      int64_t as_of) {
  // Views in order of first mention, each with its requested features.
  std::vector<const FeatureView*> views;
  std::map<const FeatureView*, std::vector<const FeatureRef*>> wanted;
  for (const auto& f : features) {
    auto& list = wanted[f.view];
    if (list.empty()) views.push_back(f.view);
    list.push_back(&f);
  }
  // Typed join-key columns, converted once.
  std::map<std::string, const Field*> key_fields;
  for (const auto* v : views)
    for (const auto& k : v->entity_columns) key_fields.emplace(k.name, &k);
  std::map<std::string, std::vector<Value>> typed;
  std::vector<OnlineColumn> out;
  for (size_t c = 0; c < entities.names.size(); ++c) {
    auto it = key_fields.find(entities.names[c]);
    if (it == key_fields.end()) continue;
    OnlineColumn col{it->first, it->second->type, {}, {}, {}};
    for (size_t r = 0; r < entities.rows; ++r)
      col.values.push_back(join_value(entities.columns[c][r], *it->second, r));
    col.statuses.assign(entities.rows, FeatureStatus::kPresent);
    col.event_ts.assign(entities.rows, 0);
    typed[col.name] = col.values;
    out.push_back(std::move(col));
  }
  for (const auto* view : views) {
    std::vector<std::string> keys(entities.rows);
    std::vector<Value> parts(view->entity_columns.size());
    for (size_t r = 0; r < entities.rows; ++r) {
      for (size_t k = 0; k < view->entity_columns.size(); ++k) {
        auto it = typed.find(view->entity_columns[k].name);
        if (it == typed.end()) {
          std::string given;
          for (const auto& n : entities.names) given += (given.empty() ? "" : ", ") + n;
          throw Error(ErrorCode::kInvalidInput,
                      "feature view '" + view->name + "' needs the join key '" +
                          view->entity_columns[k].name + "' in 'entities' (given: " + given + ")");
        }
        parts[k] = it->second[r];
      }
      keys[r] = entity_key(parts);
    }
    bool plain = false, windowed = false;
    for (const FeatureRef* f : wanted[view]) (f->aggregation ? windowed : plain) = true;
    std::vector<std::optional<OnlineRecord>> records(entities.rows);
    if (plain) records = store.read(view->name, keys);
    OnlineAggregates aggregates;
    if (windowed) aggregates = read_online_aggregates(store, *view, keys, as_of);
    std::vector<std::vector<NamedValue>> rows(entities.rows);
    for (size_t r = 0; r < entities.rows; ++r)
      if (records[r]) rows[r] = decode_row(records[r]->value);
    for (const FeatureRef* f : wanted[view]) {
      OnlineColumn col{full_feature_names ? view->name + "__" + f->name : f->name, f->type,
                       std::vector<Value>(entities.rows),
                       std::vector<FeatureStatus>(entities.rows, FeatureStatus::kNotFound),
                       std::vector<int64_t>(entities.rows, 0)};
      if (f->aggregation) {
        size_t a = f->aggregation - view->aggregations.data();
        bool integral = f->type == ValueType::kInt64 || f->type == ValueType::kInt32;
        for (size_t r = 0; r < entities.rows; ++r) {
          if (const auto& v = aggregates.values[a][r])
            col.values[r] = integral ? Value{int64_t(*v)} : Value{*v};
          if (aggregates.found[r]) {
            col.statuses[r] = FeatureStatus::kPresent;
            col.event_ts[r] = aggregates.event_ts[r];
          }
        }
        out.push_back(std::move(col));
        continue;
      }
      for (size_t r = 0; r < entities.rows; ++r) {
        if (!records[r]) continue;
        for (auto& nv : rows[r])
          if (nv.name == f->name) {
            col.values[r] = nv.value;
            col.statuses[r] = FeatureStatus::kPresent;
            col.event_ts[r] = records[r]->event_ts;
            break;
          }
      }
      out.push_back(std::move(col));
    }
  }
  return out;
}

ordered_json online_response_json(const std::vector<OnlineColumn>& columns) {
  ordered_json results = ordered_json::array(), names = ordered_json::array();
  const std::string epoch = "1970-01-01T00:00:00Z";
  for (const auto& c : columns) {
    ordered_json values = ordered_json::array(), statuses = ordered_json::array(),
                 times = ordered_json::array();
    for (size_t r = 0; r < c.values.size(); ++r) {
      values.push_back(value_json(c.values[r], c.type));
      statuses.push_back(status_name(c.statuses[r]));
      times.push_back(c.event_ts[r] == 0 ? epoch : whole_seconds(c.event_ts[r]));
    }
    results.push_back({{"values", values}, {"statuses", statuses}, {"event_timestamps", times}});
    names.push_back(c.name);
  }
  return {{"results", results}, {"metadata", {{"feature_names", names}}}};
}

}  // namespace plinth::features
