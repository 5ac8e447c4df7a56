// The Store over SQL shared by SQLite and PostgreSQL (see database.h): its runs, and the helpers
// internal/sql_store.h shares. Searches load the candidate rows and filter, sort and page them
// here, so both engines behave identically.
#include "tracking/internal/sql_store.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "tracking/internal/run_filter.h"
#include "tracking/json_format.h"
#include "tracking/names.h"
#include "tracking/search.h"
#include "tracking/store.h"

namespace plinth::tracking {
namespace {

using nlohmann::json;

std::string truncated(const std::string& value, size_t limit) {
  return value.size() > limit ? value.substr(0, limit) : value;
}

constexpr size_t kParamValueLimit = 6000;
constexpr size_t kTagValueLimit = 8000;
const char* const kRunColumns =
    "run_id, experiment_id, run_name, user_id, status, start_time, end_time, artifact_uri, "
    "lifecycle_stage";
const char* const kRunStatuses[] = {"RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"};

RunInfo read_run_info(const Row& r) {
  RunInfo info;
  info.run_id = r.text(0);
  info.experiment_id = std::to_string(r.integer(1));
  info.run_name = r.text(2);
  info.user_id = r.text(3);
  info.status = r.text(4);
  info.start_time = r.integer(5);
  if (!r.is_null(6)) info.end_time = r.integer(6);
  info.artifact_uri = r.text(7);
  info.lifecycle_stage = r.text(8);
  return info;
}

}  // namespace

namespace internal {

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorCode::kInvalidInput, message);
}

[[noreturn]] void not_found(const std::string& message) {
  throw Error(ErrorCode::kNotFound, message);
}

const char* stage_for(ViewType view) {
  return view == ViewType::kActiveOnly    ? "active"
         : view == ViewType::kDeletedOnly ? "deleted"
                                          : nullptr;
}

int64_t parse_experiment_id(const std::string& id) {
  if (id.empty() || id.size() > 18 ||
      !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; }))
    not_found("No Experiment with id=" + id + " exists");
  return std::stoll(id);
}

std::string placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i ? ", ?" : "?";
  return out;
}

Metric read_metric(const Row& r, int first) {
  Metric m;
  m.key = r.text(first);
  m.value = r.integer(first + 2) ? std::nan("") : r.real(first + 1);
  m.timestamp = r.integer(first + 3);
  m.step = r.integer(first + 4);
  return m;
}

SqlStore::SqlStore(Database& db, std::string artifact_root)
    : db_(db), artifact_root_(std::move(artifact_root)) {
  while (!artifact_root_.empty() && artifact_root_.back() == '/') artifact_root_.pop_back();
  Transaction tx(db_);
  if (query_integer(db_, "SELECT COUNT(*) FROM experiments WHERE experiment_id = 0", {}, 0) == 0) {
    int64_t now = now_ms();
    db_.exec(
        "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
        "creation_time, last_update_time) VALUES (0, 'Default', ?, 'active', ?, ?)",
        {artifact_root_ + "/0", now, now});
  }
  tx.commit();
}

Run SqlStore::create_run(const NewRun& spec) {
  std::string name = spec.run_name;
  const Tag* name_tag = find_tag(spec.tags, "mlflow.runName");
  if (name_tag && !name.empty() && name_tag->value != name)
    invalid(
        "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with "
        "different values (run_name='" +
        name + "', mlflow.runName='" + name_tag->value + "').");
  if (name.empty()) name = name_tag ? name_tag->value : random_run_name();
  for (const auto& t : spec.tags) validate_key(t.key);
  Transaction tx(db_);
  Experiment e = load_experiment(spec.experiment_id.empty() ? "0" : spec.experiment_id);
  if (e.lifecycle_stage != "active")
    invalid("The experiment " + e.experiment_id +
            " must be in the 'active' state. Current "
            "state is " +
            e.lifecycle_stage + ".");
  std::string run_id = random_hex_id();
  int64_t start = spec.start_time.value_or(now_ms());
  db_.exec(std::string("INSERT INTO runs (") + kRunColumns +
               ") VALUES (?, ?, ?, ?, 'RUNNING', ?, NULL, ?, 'active')",
           {run_id, std::stoll(e.experiment_id), name, spec.user_id, start,
            e.artifact_location + "/" + run_id + "/artifacts"});
  for (const auto& t : spec.tags)
    if (t.key != "mlflow.runName") put_tag(run_id, t.key, t.value);
  put_tag(run_id, "mlflow.runName", name);
  Run run = load_run(run_id);
  tx.commit();
  return run;
}

Run SqlStore::get_run(const std::string& run_id) {
  Transaction tx(db_);
  return load_run(run_id);
}

RunInfo SqlStore::update_run(const std::string& run_id, const std::optional<std::string>& status,
                             std::optional<int64_t> end_time,
                             const std::optional<std::string>& run_name) {
  if (status && std::find(std::begin(kRunStatuses), std::end(kRunStatuses), *status) ==
                    std::end(kRunStatuses))
    invalid("Invalid value \"" + *status +
            "\" for parameter 'status': use one of RUNNING, "
            "SCHEDULED, FINISHED, FAILED, KILLED");
  Transaction tx(db_);
  active_run(run_id);
  if (status) db_.exec("UPDATE runs SET status = ? WHERE run_id = ?", {*status, run_id});
  if (end_time) db_.exec("UPDATE runs SET end_time = ? WHERE run_id = ?", {*end_time, run_id});
  if (run_name && !run_name->empty()) {
    db_.exec("UPDATE runs SET run_name = ? WHERE run_id = ?", {*run_name, run_id});
    put_tag(run_id, "mlflow.runName", *run_name);
  }
  RunInfo info = load_run_info(run_id);
  tx.commit();
  return info;
}

void SqlStore::delete_run(const std::string& run_id) { set_run_stage(run_id, "deleted"); }

void SqlStore::restore_run(const std::string& run_id) { set_run_stage(run_id, "active"); }

void SqlStore::log_batch(const std::string& run_id, const std::vector<Metric>& metrics,
                         const std::vector<Tag>& params, const std::vector<Tag>& tags) {
  check_batch_limits(metrics.size(), params.size(), tags.size());
  std::map<std::string, std::string> new_params;
  for (const auto& p : params) {
    validate_key(p.key);
    if (!new_params.emplace(p.key, truncated(p.value, kParamValueLimit)).second)
      invalid("Duplicate parameter keys have been submitted: ['" + p.key +
              "']. Please ensure the request contains only one param value per param key.");
  }
  for (const auto& t : tags) validate_key(t.key);
  for (const auto& m : metrics) {
    validate_key(m.key);
    if (m.timestamp < 0)
      invalid("Invalid value " + std::to_string(m.timestamp) +
              " for parameter 'timestamp' supplied: metric timestamps must be >= 0");
  }
  Transaction tx(db_);
  active_run(run_id);
  log_params(run_id, new_params);
  for (const auto& t : tags) {
    put_tag(run_id, t.key, truncated(t.value, kTagValueLimit));
    if (t.key == "mlflow.runName")
      db_.exec("UPDATE runs SET run_name = ? WHERE run_id = ?", {t.value, run_id});
  }
  log_metrics(run_id, metrics);
  tx.commit();
}

void SqlStore::delete_tag(const std::string& run_id, const std::string& key) {
  Transaction tx(db_);
  active_run(run_id);
  if (query_integer(db_, "SELECT COUNT(*) FROM tags WHERE run_id = ? AND key = ?", {run_id, key},
                    0) == 0)
    not_found("No tag with name: " + key + " in run with id " + run_id);
  db_.exec("DELETE FROM tags WHERE run_id = ? AND key = ?", {run_id, key});
  tx.commit();
}

void SqlStore::log_inputs(const std::string& run_id, const std::vector<DatasetInput>& datasets,
                          const std::vector<std::string>& model_ids) {
  for (const auto& d : datasets)
    if (d.dataset.name.empty() || d.dataset.digest.empty())
      invalid(
          "Missing value for required parameter 'datasets.dataset.name' or "
          "'datasets.dataset.digest'.");
  Transaction tx(db_);
  active_run(run_id);
  int64_t position =
      query_integer(db_, "SELECT MAX(position) FROM run_inputs WHERE run_id = ?", {run_id}, -1);
  for (const auto& d : datasets) {
    if (query_integer(db_,
                      "SELECT COUNT(*) FROM run_inputs WHERE run_id = ? AND name = ? AND "
                      "digest = ?",
                      {run_id, d.dataset.name, d.dataset.digest}, 0) > 0)
      continue;  // logging the same dataset twice records it once, as MLflow does
    db_.exec(
        "INSERT INTO run_inputs (run_id, position, model_id, name, digest, source_type, source, "
        "dataset_schema, profile, tags_json) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)",
        {run_id, ++position, d.dataset.name, d.dataset.digest, d.dataset.source_type,
         d.dataset.source, d.dataset.schema, d.dataset.profile, tags_json(d.tags).dump()});
  }
  for (const auto& id : model_ids)
    db_.exec("INSERT INTO run_inputs (run_id, position, model_id) VALUES (?, ?, ?)",
             {run_id, ++position, id});
  tx.commit();
}

void SqlStore::log_outputs(const std::string& run_id, const std::vector<ModelOutput>& models) {
  Transaction tx(db_);
  active_run(run_id);
  for (const auto& m : models)
    db_.exec("INSERT INTO run_outputs (run_id, model_id, step) VALUES (?, ?, ?)",
             {run_id, m.model_id, m.step});
  tx.commit();
}

Page<Run> SqlStore::search_runs(const RunSearch& search) {
  auto clauses = parse_filter(search.filter);
  for (auto& c : clauses) validate_run_clause(c);
  std::vector<OrderKey> order;
  for (const auto& item : search.order_by) {
    OrderKey k = parse_order_by(item);
    if (k.entity == "attribute") k.key = canonical_run_attribute(k.key);
    if (k.entity == "dataset") invalid("Invalid order_by entity 'dataset' in '" + item + "'");
    order.push_back(k);
  }
  order.push_back({"attribute", "start_time", false});
  order.push_back({"attribute", "run_id", true});
  if (search.max_results > 50000)
    invalid("Invalid value " + std::to_string(search.max_results) +
            " for parameter 'max_results' supplied. It must be at most 50000");

  Page<Run> page;
  Transaction tx(db_);
  std::vector<Run> runs;
  if (!search.experiment_ids.empty()) {
    std::vector<SqlValue> params;
    for (const auto& id : search.experiment_ids) params.push_back(parse_experiment_id(id));
    std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs WHERE experiment_id IN (" +
                      placeholders(params.size()) + ")";
    if (const char* stage = stage_for(search.view)) {
      sql += " AND lifecycle_stage = ?";
      params.emplace_back(std::string(stage));
    }
    db_.query(sql, params, [&](const Row& r) {
      runs.emplace_back();
      runs.back().info = read_run_info(r);
    });
  }
  // Filter and sort with only the data they name, then read the page's runs whole.
  RunParts needed{false, false, false, false, false};
  auto need = [&](const std::string& entity) {
    needed.params |= entity == "param";
    needed.tags |= entity == "tag";
    needed.metrics |= entity == "metric";
    needed.inputs |= entity == "dataset";
  };
  for (const auto& c : clauses) need(c.entity);
  for (const auto& k : order) need(k.entity);
  fill_runs(runs, needed);
  std::erase_if(runs, [&](const Run& run) {
    return !std::all_of(clauses.begin(), clauses.end(),
                        [&](const Clause& c) { return run_matches(run, c); });
  });
  sort_by(runs, order,
          [](const Run& r, const OrderKey& k) { return run_value(r, k.entity, k.key); });
  page.items =
      paginate(std::move(runs), search.max_results, search.page_token, page.next_page_token);
  for (auto& run : page.items) run = Run{std::move(run.info), {}, {}, {}, {}, {}, {}};
  fill_runs(page.items, RunParts{});
  return page;
}

Page<Metric> SqlStore::metric_history(const std::string& run_id, const std::string& key,
                                      int64_t max_results, const std::string& page_token) {
  Transaction tx(db_);
  load_run_info(run_id);
  std::vector<Metric> points;
  db_.query(
      "SELECT key, value, is_nan, ts, step, model_id, dataset_name, dataset_digest FROM metrics "
      "WHERE run_id = ? AND key = ? ORDER BY ts, step, value",
      {run_id, key}, [&](const Row& r) {
        Metric m = read_metric(r, 0);
        m.model_id = r.text(5);
        m.dataset_name = r.text(6);
        m.dataset_digest = r.text(7);
        points.push_back(std::move(m));
      });
  Page<Metric> page;
  page.items = paginate(std::move(points), max_results, page_token, page.next_page_token);
  return page;
}

MetricSeries SqlStore::metric_series(const std::string& run_id, const std::string& key) {
  Transaction tx(db_);
  load_run_info(run_id);
  MetricSeries s;
  // Unordered: sorting three columns here is several times faster than SQL's ORDER BY.
  db_.query("SELECT value, is_nan, ts, step FROM metrics WHERE run_id = ? AND key = ?",
            {run_id, key}, [&](const Row& r) {
              s.value.push_back(r.integer(1) ? std::nan("") : r.real(0));
              s.timestamp.push_back(r.integer(2));
              s.step.push_back(r.integer(3));
            });
  s.sort();
  return s;
}

RunInfo SqlStore::load_run_info(const std::string& run_id) {
  std::optional<RunInfo> info;
  db_.query(std::string("SELECT ") + kRunColumns + " FROM runs WHERE run_id = ?", {run_id},
            [&](const Row& r) { info = read_run_info(r); });
  if (!info) not_found("Run with id=" + run_id + " not found");
  return *info;
}

RunInfo SqlStore::active_run(const std::string& run_id) {
  RunInfo info = load_run_info(run_id);
  if (info.lifecycle_stage != "active")
    invalid("The run " + run_id + " must be in the 'active' state. Current state is " +
            info.lifecycle_stage + ".");
  return info;
}

Run SqlStore::load_run(const std::string& run_id) {
  std::vector<Run> runs(1);
  runs[0].info = load_run_info(run_id);
  fill_runs(runs, RunParts{});
  return std::move(runs[0]);
}

void SqlStore::fill_runs(std::vector<Run>& runs, RunParts parts) {
  constexpr size_t kChunk = 500;
  for (size_t start = 0; parts.any() && start < runs.size(); start += kChunk) {
    size_t end = std::min(runs.size(), start + kChunk);
    std::map<std::string, Run*> by_id;
    std::vector<SqlValue> ids;
    for (size_t i = start; i < end; ++i) {
      by_id[runs[i].info.run_id] = &runs[i];
      ids.push_back(runs[i].info.run_id);
    }
    std::string in = " WHERE run_id IN (" + placeholders(ids.size()) + ")";
    if (parts.params)
      db_.query("SELECT run_id, key, value FROM params" + in + " ORDER BY key", ids,
                [&](const Row& r) {
                  by_id[r.text(0)]->params.push_back({r.text(1), r.text(2)});
                });
    if (parts.tags)
      db_.query("SELECT run_id, key, value FROM tags" + in + " ORDER BY key", ids,
                [&](const Row& r) {
                  by_id[r.text(0)]->tags.push_back({r.text(1), r.text(2)});
                });
    if (parts.metrics)
      db_.query(
          "SELECT run_id, key, value, is_nan, ts, step FROM latest_metrics" + in + " ORDER BY key",
          ids, [&](const Row& r) { by_id[r.text(0)]->metrics.push_back(read_metric(r, 1)); });
    if (parts.inputs)
      db_.query(
          "SELECT run_id, model_id, name, digest, source_type, source, dataset_schema, profile, "
          "tags_json FROM run_inputs" +
              in + " ORDER BY position",
          ids, [&](const Row& r) {
            Run* run = by_id[r.text(0)];
            if (!r.is_null(1)) {
              run->model_inputs.push_back(r.text(1));
              return;
            }
            run->dataset_inputs.push_back(
                {tags_from_json(json::parse(r.text(8), nullptr, false)),
                 {r.text(2), r.text(3), r.text(4), r.text(5), r.text(6), r.text(7)}});
          });
    if (parts.outputs)
      db_.query("SELECT run_id, model_id, step FROM run_outputs" + in, ids, [&](const Row& r) {
        by_id[r.text(0)]->model_outputs.push_back({r.text(1), r.integer(2)});
      });
  }
}

void SqlStore::set_run_stage(const std::string& run_id, const std::string& stage) {
  Transaction tx(db_);
  load_run_info(run_id);
  db_.exec("UPDATE runs SET lifecycle_stage = ? WHERE run_id = ?", {stage, run_id});
  tx.commit();
}

void SqlStore::put_tag(const std::string& run_id, const std::string& key,
                       const std::string& value) {
  db_.exec(
      "INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO "
      "UPDATE SET value = excluded.value",
      {run_id, key, value});
}

void SqlStore::check_batch_limits(size_t metrics, size_t params, size_t tags) {
  auto over = [](size_t got, size_t limit, const std::string& what) {
    if (got > limit)
      invalid("A batch logging request can contain at most " + std::to_string(limit) + " " + what +
              ". Got " + std::to_string(got) + " " + what + ". Please split up " + what +
              " across multiple requests and try again.");
  };
  over(metrics, kMaxBatchMetrics, "metrics");
  over(params, kMaxBatchParams, "params");
  over(tags, kMaxBatchTags, "tags");
  size_t total = metrics + params + tags;
  if (total > kMaxBatchEntities)
    invalid("A batch logging request can contain at most " + std::to_string(kMaxBatchEntities) +
            " total entities (metrics, params and tags). Got " + std::to_string(total) +
            " entities. Please split up entities across multiple requests and try again.");
}

void SqlStore::log_params(const std::string& run_id,
                          const std::map<std::string, std::string>& params) {
  if (params.empty()) return;
  std::map<std::string, std::string> existing;
  db_.query("SELECT key, value FROM params WHERE run_id = ?", {run_id},
            [&](const Row& r) { existing[r.text(0)] = r.text(1); });
  for (const auto& [key, value] : params) {
    auto it = existing.find(key);
    if (it == existing.end()) {
      db_.exec("INSERT INTO params (run_id, key, value) VALUES (?, ?, ?)", {run_id, key, value});
    } else if (it->second != value) {
      invalid("Changing param values is not allowed. Param with key='" + key +
              "' was already logged with value='" + it->second + "' for run ID='" + run_id +
              "'. Attempted logging new value '" + value + "'.");
    }
  }
}

void SqlStore::log_metrics(const std::string& run_id, const std::vector<Metric>& metrics) {
  if (metrics.empty()) return;
  std::vector<std::vector<SqlValue>> rows, model_rows;
  rows.reserve(metrics.size());
  std::set<std::tuple<std::string, int64_t, int64_t, double, bool>> seen;
  std::map<std::string, const Metric*> latest;
  auto stored = [](double v) { return std::isnan(v) ? 0.0 : v; };
  auto optional_text = [](const std::string& s) -> SqlValue {
    return s.empty() ? SqlValue{} : SqlValue{s};
  };
  for (const auto& m : metrics) {
    int64_t nan = std::isnan(m.value);
    std::vector<SqlValue> point = {m.key,
                                   stored(m.value),
                                   nan,
                                   m.timestamp,
                                   m.step,
                                   optional_text(m.dataset_name),
                                   optional_text(m.dataset_digest)};
    if (!m.model_id.empty()) {
      model_rows.push_back({m.model_id, run_id});
      model_rows.back().insert(model_rows.back().end(), point.begin(), point.end());
    }
    if (!seen.emplace(m.key, m.timestamp, m.step, stored(m.value), nan).second ||
        (!m.model_id.empty() && has_point(run_id, m)))
      continue;
    point.insert(point.begin(), run_id);
    point.push_back(optional_text(m.model_id));
    rows.push_back(std::move(point));
    auto& best = latest[m.key];
    if (!best || std::tuple(m.step, m.timestamp, stored(m.value)) >
                     std::tuple(best->step, best->timestamp, stored(best->value)))
      best = &m;
  }
  db_.insert_many("metrics",
                  {"run_id", "key", "value", "is_nan", "ts", "step", "dataset_name",
                   "dataset_digest", "model_id"},
                  rows);
  if (!model_rows.empty())
    db_.insert_many("logged_model_metrics",
                    {"model_id", "run_id", "key", "value", "is_nan", "ts", "step", "dataset_name",
                     "dataset_digest"},
                    model_rows);
  for (const auto& [key, m] : latest)
    db_.exec(
        "INSERT INTO latest_metrics (run_id, key, value, is_nan, ts, step) VALUES "
        "(?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, "
        "is_nan = excluded.is_nan, ts = excluded.ts, step = excluded.step WHERE "
        "(excluded.step, excluded.ts, excluded.value) > "
        "(latest_metrics.step, latest_metrics.ts, latest_metrics.value)",
        {run_id, key, stored(m->value), int64_t{std::isnan(m->value)}, m->timestamp, m->step});
}

bool SqlStore::has_point(const std::string& run_id, const Metric& m) {
  bool found = false;
  db_.query(
      "SELECT key, value, is_nan, ts, step FROM metrics WHERE run_id = ? AND key = ? AND "
      "ts = ? AND step = ?",
      {run_id, m.key, m.timestamp, m.step}, [&](const Row& r) {
        double v = read_metric(r, 0).value;
        found |= v == m.value || (std::isnan(v) && std::isnan(m.value));
      });
  return found;
}

}  // namespace internal

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<Store> make_store(Database& db, const std::string& artifact_root) {
  return std::make_unique<internal::SqlStore>(db, artifact_root);
}

}  // namespace plinth::tracking
