#include "features/feature_server.h"

#include <chrono>

#include "core/error.h"
#include "core/log.h"
#include "core/prometheus_text.h"
#include "features/aggregate.h"
#include "features/online_aggregates.h"
#include "features/online_read.h"
#include "features/online_row.h"
#include "table/table_io.h"
#include "table/timestamp.h"

namespace plinth::features {
using http::ServerRequest;
using http::ServerResponse;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

const std::vector<double> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                     0.01,   0.025,   0.05,   0.1,   0.25,   1.0};

ServerResponse detail(int status, const std::string& message) {
  return {status,
          "application/json",
          json{{"detail", message}}.dump(-1, ' ', false, json::error_handler_t::replace),
          {}};
}

ordered_json parse_body(const std::string& body) {
  try {
    return ordered_json::parse(body);
  } catch (const json::exception& e) {
    std::string what = e.what();
    if (auto p = what.find("parse error"); p != std::string::npos) what = what.substr(p);
    throw Error(ErrorCode::kInvalidInput, "malformed JSON in the request body: " + what);
  }
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A push's df column as values of `type`; `what` names it in errors.
std::vector<Value> df_values(const ordered_json& df, const std::string& column, ValueType type,
                             const std::string& what) {
  auto it = df.find(column);
  if (it == df.end())
    throw Error(ErrorCode::kInvalidInput,
                "df has no column '" + column + "', which " + what + " needs");
  std::vector<Value> out;
  out.reserve(it->size());
  for (size_t r = 0; r < it->size(); ++r) {
    auto v = json_value((*it)[r], type);
    if (!v)
      throw Error(ErrorCode::kInvalidInput,
                  "df." + column + "[" + std::to_string(r) + "] is " + (*it)[r].dump() +
                      ", not a " + std::string(value_type_name(type)) + " value (" + what + ")");
    out.push_back(std::move(*v));
  }
  return out;
}

// A df column of timestamps (ISO 8601 text, as Feast's clients send them).
std::vector<int64_t> df_times(const ordered_json& df, const std::string& column,
                              const std::string& what) {
  std::vector<Value> values = df_values(df, column, ValueType::kUnixTimestamp, what);
  std::vector<int64_t> out;
  for (size_t r = 0; r < values.size(); ++r) {
    auto* t = std::get_if<int64_t>(&values[r]);
    if (!t)
      throw Error(ErrorCode::kInvalidInput, "df." + column + "[" + std::to_string(r) +
                                                "] is null; every row needs its " + what);
    out.push_back(*t);
  }
  return out;
}

// Appends the df's rows to a file source (CSV or Parquet), rewriting it atomically.
void append_offline(const std::filesystem::path& path, const Source& source, const ordered_json& df,
                    size_t rows) {
  table::Table existing = table::read_table(path);
  std::vector<table::Column> columns;
  for (const auto& c : existing.columns()) {
    std::string name = c.name;
    if (auto m = source.field_mapping.find(c.name); m != source.field_mapping.end())
      name = m->second;
    table::Column added(c.name, c.type);
    auto it = df.find(name);
    for (size_t r = 0; r < rows; ++r) {
      const ordered_json* j = it == df.end() ? nullptr : &(*it)[r];
      if (!j || j->is_null()) {
        added.push_null();
        continue;
      }
      auto fail = [&] {
        throw Error(ErrorCode::kInvalidInput,
                    "df." + name + "[" + std::to_string(r) + "] is " + j->dump() + ", not a " +
                        std::string(table::type_name(c.type)) + " value like the column '" +
                        c.name + "' of " + path.string());
      };
      auto mark = [&] {
        if (!added.valid.empty()) added.valid.push_back(1);
      };
      switch (c.type) {
        case table::ColumnType::kFloat64:
          if (!j->is_number()) fail();
          added.f64.push_back(j->get<double>());
          break;
        case table::ColumnType::kInt64:
          if (!j->is_number_integer()) fail();
          added.i64.push_back(j->get<int64_t>());
          break;
        case table::ColumnType::kBool:
          if (!j->is_boolean()) fail();
          added.b.push_back(j->get<bool>());
          break;
        case table::ColumnType::kString:
          if (!j->is_string()) fail();
          added.str.push_back(j->get<std::string>());
          break;
        case table::ColumnType::kTimestamp: {
          auto t = j->is_string() ? table::parse_timestamp(j->get<std::string>()) : std::nullopt;
          if (!t) fail();
          added.i64.push_back(*t);
          break;
        }
      }
      mark();
    }
    columns.push_back(std::move(added));
  }
  for (auto& c : existing.columns()) c.materialize_strings();
  existing.append(table::Table(std::move(columns)));
  table::write_table(existing, path);
}

}  // namespace

FeatureServer::FeatureServer(FeatureStoreConfig config, Registry registry,
                             std::unique_ptr<OnlineStore> store)
    : config_(std::move(config)), registry_(std::move(registry)), store_(std::move(store)) {}

ServerResponse FeatureServer::handle(const ServerRequest& request) {
  auto start = std::chrono::steady_clock::now();
  std::string route = request.path;
  ServerResponse out;
  try {
    if (request.path == "/get-online-features") {
      out = request.method == "POST" ? get_online_features(request)
                                     : detail(405, "Method Not Allowed");
    } else if (request.path == "/push") {
      out = request.method == "POST" ? push(request) : detail(405, "Method Not Allowed");
    } else if (request.path == "/health") {
      out = store_->healthy() ? ServerResponse{200, "application/json", "", {}}
                              : detail(503, store_->describe() + " does not answer");
    } else if (request.path == "/metrics") {
      out = metrics();
    } else {
      route = "other";
      out = detail(404, "Not Found");
    }
  } catch (const StoreUnavailable& e) {
    spdlog::warn("{}", e.what());
    out = detail(503, std::string(e.what()) + "; retry when it is back");
  } catch (const Error& e) {
    int status = e.code() == ErrorCode::kInvalidInput ? 422
                 : e.code() == ErrorCode::kNotFound   ? 404
                                                      : 500;
    out = detail(status, e.what());
  }
  record(route, out.status,
         std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return out;
}

ServerResponse FeatureServer::get_online_features(const ServerRequest& request) {
  ordered_json body = parse_body(request.body);
  if (!body.is_object())
    throw Error(ErrorCode::kInvalidInput, "the request body must be a JSON object");
  std::vector<FeatureRef> refs;
  auto service = body.find("feature_service");
  auto features = body.find("features");
  if (service != body.end() && !service->is_null()) {
    if (!service->is_string())
      throw Error(ErrorCode::kInvalidInput, "'feature_service' must be a service's name");
    refs = registry_.service_features(service->get<std::string>());
  } else if (features != body.end() && features->is_array() && !features->empty()) {
    std::vector<std::string> names;
    for (const auto& f : *features) {
      if (!f.is_string() || f.get<std::string>().find(':') == std::string::npos)
        throw Error(ErrorCode::kInvalidInput,
                    "'features' holds " + f.dump() +
                        "; each feature is a string \"view:feature\", e.g. \"user_stats:amount\"");
      names.push_back(f.get<std::string>());
    }
    refs = registry_.resolve(names);
  } else {
    throw Error(ErrorCode::kInvalidInput,
                "give 'features' (a list of \"view:feature\") or 'feature_service'");
  }
  auto entities = body.find("entities");
  if (entities == body.end())
    throw Error(ErrorCode::kInvalidInput,
                "'entities' is missing; give the join keys, e.g. {\"user_id\": [1001]}");
  EntityRows rows = parse_entity_rows(*entities);
  bool full = body.value("full_feature_names", false);
  // Plinth's extension: evaluate windowed aggregations as of this time (default now).
  int64_t as_of = now_ns();
  if (auto a = body.find("as_of"); a != body.end() && !a->is_null()) {
    auto t = a->is_string() ? table::parse_timestamp(a->get<std::string>()) : std::nullopt;
    if (!t)
      throw Error(
          ErrorCode::kInvalidInput,
          "'as_of' is " + a->dump() + ", not an ISO 8601 time such as 2025-01-01T00:00:00Z");
    as_of = *t;
  }
  entity_rows_ += rows.rows;
  auto columns = read_online(*store_, refs, rows, full, as_of);
  return {200, "application/json", online_response_json(columns).dump(), {}};
}

ServerResponse FeatureServer::push(const ServerRequest& request) {
  ordered_json body = parse_body(request.body);
  if (!body.is_object() || !body.contains("push_source_name") ||
      !body["push_source_name"].is_string())
    throw Error(ErrorCode::kInvalidInput,
                "the body needs 'push_source_name' (a push source's name) and 'df' (columns)");
  std::string name = body["push_source_name"];
  std::string to = body.value("to", "online");
  if (to != "online" && to != "offline" && to != "online_and_offline")
    throw Error(ErrorCode::kInvalidInput,
                "'to' is '" + to + "'; use one of online, offline, online_and_offline");
  const Source* source = registry_.find_source(name);
  if (!source || source->kind != Source::Kind::kPush) {
    std::string known;
    for (const auto& s : registry_.sources)
      if (s.kind == Source::Kind::kPush) known += (known.empty() ? "" : ", ") + s.name;
    throw Error(ErrorCode::kInvalidInput, "unknown push source '" + name + "' (push sources: " +
                                              (known.empty() ? "none" : known) + ")");
  }
  const ordered_json& df = body.contains("df") ? body["df"] : ordered_json();
  if (!df.is_object() || df.empty())
    throw Error(ErrorCode::kInvalidInput,
                "'df' must be an object of columns, e.g. {\"user_id\": [1], \"event_timestamp\": "
                "[\"2025-01-01T00:00:00Z\"], ...}");
  size_t rows = 0;
  bool first = true;
  for (const auto& [column, values] : df.items()) {
    if (!values.is_array())
      throw Error(ErrorCode::kInvalidInput, "df." + column + " must be an array of values");
    if (!first && values.size() != rows)
      throw Error(ErrorCode::kInvalidInput,
                  "df." + column + " has " + std::to_string(values.size()) +
                      " values but the first column has " + std::to_string(rows));
    rows = values.size();
    first = false;
  }
  const Source& batch = registry_.source(source->batch_source);
  // Validate and encode for every view first, so that a bad row writes nothing.
  std::vector<std::pair<const FeatureView*, std::vector<OnlineRecord>>> writes;
  std::vector<std::pair<const FeatureView*, AggregationEvents>> events;
  for (const auto& view : registry_.feature_views) {
    if (view.source != name) continue;
    std::string what = "feature view '" + view.name + "'";
    std::vector<int64_t> ts = df_times(df, batch.timestamp_field, what + "'s event time");
    std::vector<std::vector<Value>> keys, values;
    for (const auto& k : view.entity_columns) keys.push_back(df_values(df, k.name, k.type, what));
    std::vector<std::string> names;
    for (const auto& f : view.features) {
      names.push_back(f.name);
      values.push_back(df_values(df, f.name, f.type, what));
    }
    std::vector<OnlineRecord> records(rows);
    std::vector<Value> parts(keys.size()), row(values.size());
    for (size_t r = 0; r < rows; ++r) {
      for (size_t k = 0; k < keys.size(); ++k) parts[k] = keys[k][r];
      for (size_t f = 0; f < values.size(); ++f) row[f] = values[f][r];
      records[r] = {entity_key(parts), ts[r], encode_row(names, row)};
    }
    if (!view.aggregations.empty()) {
      AggregationPlan plan(view.aggregations);
      AggregationEvents e;
      for (const auto& rec : records) e.keys.push_back(rec.key);
      e.ts = ts;
      e.created.assign(rows, 0);
      if (!batch.created_timestamp_column.empty() && df.contains(batch.created_timestamp_column))
        e.created = df_times(df, batch.created_timestamp_column, what + "'s created time");
      for (const auto& column : plan.columns) {
        std::vector<Value> v = df_values(df, column, ValueType::kFloat64, what + "'s aggregations");
        std::vector<double> numbers(rows, 0);
        std::vector<uint8_t> valid(rows, 0);
        for (size_t r = 0; r < rows; ++r)
          if (auto* d = std::get_if<double>(&v[r])) {
            numbers[r] = *d;
            valid[r] = 1;
          }
        e.values.push_back(std::move(numbers));
        e.valid.push_back(std::move(valid));
      }
      events.emplace_back(&view, std::move(e));
    }
    if (!view.features.empty()) writes.emplace_back(&view, std::move(records));
  }
  if (to != "online") {
    std::lock_guard lock(offline_mutex_);
    append_offline(registry_.source_path(batch, config_.repo_path), batch, df, rows);
  }
  if (to != "offline") {
    for (const auto& [view, records] : writes) store_->write(view->name, records);
    for (const auto& [view, e] : events) add_online_events(*store_, *view, e);
  }
  {
    std::lock_guard lock(metrics_mutex_);
    pushed_rows_[{name, to}] += rows;
  }
  return {200, "application/json", "", {}};
}

void FeatureServer::record(const std::string& route, int status, double seconds) {
  std::lock_guard lock(metrics_mutex_);
  ++requests_[{route, status}];
  auto& l = latency_[route];
  l.first += seconds;
  ++l.second;
  auto& b = buckets_[route];
  if (b.empty()) b.assign(kBounds.size(), 0);
  for (size_t i = 0; i < kBounds.size(); ++i)
    if (seconds <= kBounds[i]) ++b[i];
}

ServerResponse FeatureServer::metrics() const {
  std::string out;
  std::lock_guard lock(metrics_mutex_);
  out +=
      "# HELP feature_server_requests_total Requests answered, by route and status.\n"
      "# TYPE feature_server_requests_total counter\n";
  for (const auto& [k, n] : requests_)
    out += "feature_server_requests_total{route=\"" + core::prometheus_label(k.first) +
           "\",status=\"" + std::to_string(k.second) + "\"} " + std::to_string(n) + "\n";
  out +=
      "# HELP feature_server_request_duration_seconds Time to answer a request, by route.\n"
      "# TYPE feature_server_request_duration_seconds histogram\n";
  for (const auto& [route, sum_count] : latency_) {
    std::string label = "route=\"" + core::prometheus_label(route) + "\"";
    const auto& b = buckets_.at(route);
    for (size_t i = 0; i < kBounds.size(); ++i)
      out += "feature_server_request_duration_seconds_bucket{" + label + ",le=\"" +
             core::prometheus_number(kBounds[i]) + "\"} " + std::to_string(b[i]) + "\n";
    out += "feature_server_request_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " +
           std::to_string(sum_count.second) + "\n";
    out += "feature_server_request_duration_seconds_sum{" + label + "} " +
           core::prometheus_number(sum_count.first) + "\n";
    out += "feature_server_request_duration_seconds_count{" + label + "} " +
           std::to_string(sum_count.second) + "\n";
  }
  out +=
      "# HELP feature_server_entity_rows_total Entity rows asked for by /get-online-features.\n"
      "# TYPE feature_server_entity_rows_total counter\n"
      "feature_server_entity_rows_total " +
      std::to_string(entity_rows_.load()) + "\n";
  out +=
      "# HELP feature_server_pushed_rows_total Rows received by /push, by push source and "
      "destination.\n# TYPE feature_server_pushed_rows_total counter\n";
  for (const auto& [k, n] : pushed_rows_)
    out += "feature_server_pushed_rows_total{push_source=\"" + core::prometheus_label(k.first) +
           "\",to=\"" + k.second + "\"} " + std::to_string(n) + "\n";
  out +=
      "# HELP feature_server_online_store_up Whether the online store answered the last "
      "health check.\n# TYPE feature_server_online_store_up gauge\n"
      "feature_server_online_store_up " +
      std::string(store_->healthy() ? "1" : "0") + "\n";
  return {200, "text/plain; version=0.0.4; charset=utf-8", out, {}};
}

}  // namespace plinth::features
