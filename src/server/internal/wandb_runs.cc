#include "server/internal/wandb_runs.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>

#include "core/error.h"
#include "core/log.h"
#include "core/random_id.h"
#include "tracking/names.h"

namespace plinth::server::internal {
namespace {

using nlohmann::json;
using tracking::Metric;
using tracking::Tag;

constexpr char kRunIdTag[] = "wandb.run_id";
constexpr char kTagsTag[] = "wandb.tags";  // the W&B tags, a JSON list, to drop removed ones
constexpr char kHistoryTag[] = "wandb.history_lines";
constexpr char kEventsTag[] = "wandb.events_lines";
constexpr char kHistoryAheadTag[] = "wandb.history_ahead";  // ranges stored beyond a gap
constexpr char kEventsAheadTag[] = "wandb.events_ahead";
constexpr char kSummaryTag[] = "wandb.summary";  // the latest summary, applied at the end
constexpr size_t kParamValueLimit = 6000;        // MLflow's
constexpr size_t kTagValueLimit = 8000;

std::string tag_value(const tracking::Run& run, const std::string& key) {
  for (const auto& t : run.tags)
    if (t.key == key) return t.value;
  return "";
}

int64_t line_count(const tracking::Run& run, const char* key) {
  std::string v = tag_value(run, key);
  return v.empty() ? 0 : std::stoll(v);
}

std::string str_or(const json& obj, const char* key, const std::string& fallback) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() && !it->get_ref<const std::string&>().empty()
             ? it->get<std::string>()
             : fallback;
}

// A W&B key as an MLflow metric name: characters MLflow refuses become '_'; "" when the result
// is still not a valid name (a '..' segment, too long).
std::string metric_key(std::string key) {
  for (char& c : key)
    if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr("_-. :/", c)) c = '_';
  try {
    tracking::validate_key(key);
    return key;
  } catch (const Error&) {
    return "";
  }
}

// The numbers of a history/summary row, nested dicts flattened with dots; keys starting with
// '_' (W&B's own) and media (dicts with a "_type") are left out.
void numbers(const json& row, const std::string& prefix,
             std::vector<std::pair<std::string, double>>& out) {
  for (const auto& [k, v] : row.items()) {
    if (k.empty() || k[0] == '_') continue;
    std::string key = prefix + k;
    if (v.is_number()) {
      out.emplace_back(key, v.get<double>());
    } else if (v.is_boolean()) {
      out.emplace_back(key, v.get<bool>() ? 1.0 : 0.0);
    } else if (v.is_object() && !v.contains("_type")) {
      numbers(v, key + ".", out);
    }
  }
}

// W&B's system metric names → MLflow's (mlflow.system_metrics), with its units. W&B's usageGB
// is GiB (wandb 0.31's monitor sends the used bytes / 2^30), MLflow's megabytes are 10^6 bytes
// (mlflow/system_metrics/metrics/disk_monitor.py: disk_usage.used / 1e6).
constexpr double kGibInMegabytes = 1073741824 / 1e6;
std::pair<std::string, double> system_metric(const std::string& key, double v) {
  static const std::map<std::string, std::pair<const char*, double>> kNames = {
      {"system.cpu", {"cpu_utilization_percentage", 1}},
      {"system.memory_percent", {"system_memory_usage_percentage", 1}},
      {"system.disk./.usagePercent", {"disk_usage_percentage", 1}},
      {"system.disk./.usageGB", {"disk_usage_megabytes", kGibInMegabytes}},
      {"system.network.sent", {"network_transmit_megabytes", 1e-6}},
      {"system.network.recv", {"network_receive_megabytes", 1e-6}}};
  auto it = kNames.find(key);
  if (it != kNames.end()) return {std::string("system/") + it->second.first, v * it->second.second};
  std::string rest = key.rfind("system.", 0) == 0 ? key.substr(7) : key;
  for (char& c : rest)
    if (c == '/') c = '_';
  return {"system/" + rest, v};
}

Metric metric(const std::string& key, double value, int64_t timestamp, int64_t step) {
  Metric m;
  m.key = key;
  m.value = value;
  m.timestamp = timestamp;
  m.step = step;
  return m;
}

int64_t timestamp_ms(const json& row) {
  auto it = row.find("_timestamp");
  if (it != row.end() && it->is_number()) return std::llround(it->get<double>() * 1000);
  return tracking::now_ms();
}

// `config` as UpsertBucket sends it ({key: {"value": v}}, a JSON string) flattened to params.
void flatten(const json& v, const std::string& key, std::vector<Tag>& out) {
  if (v.is_object() && !v.empty()) {
    for (const auto& [k, item] : v.items()) flatten(item, key + "." + k, out);
    return;
  }
  std::string value = v.is_string() ? v.get<std::string>() : v.dump();
  if (value.size() > kParamValueLimit) {
    spdlog::warn(
        "W&B config key '{}' is {} characters long, more than an MLflow param holds; "
        "it is kept in the run's config.yaml only",
        key, value.size());
    return;
  }
  out.push_back({key, value});
}

template <typename T>
void in_chunks(const std::vector<T>& items, size_t n,
               const std::function<void(std::vector<T>)>& f) {
  for (size_t i = 0; i < items.size(); i += n)
    f(std::vector<T>(items.begin() + i, items.begin() + std::min(items.size(), i + n)));
}

void check_name(const std::string& what, const std::string& name) {
  bool ok = !name.empty() && name.size() <= 128;
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
  if (ok) return;
  throw Error(ErrorCode::kInvalidInput,
              "Invalid W&B " + what + " '" + name +
                  "': use letters, digits, '_', '-' and '.' (at most 128 characters)");
}

}  // namespace

std::string WandbRuns::experiment_id(const std::string& entity, const std::string& project,
                                     bool create) {
  std::string name = entity + "/" + project;
  try {
    return store_.get_experiment_by_name(name).experiment_id;
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound || !create) throw;
  }
  return store_.create_experiment(name, "", {{"wandb.entity", entity}, {"wandb.project", project}});
}

std::optional<std::string> WandbRuns::experiment(const std::string& entity,
                                                 const std::string& project) {
  try {
    return experiment_id(entity, project, false);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNotFound) return std::nullopt;
    throw;
  }
}

std::optional<tracking::Run> WandbRuns::find(const std::string& entity, const std::string& project,
                                             const std::string& name) {
  check_name("run id", name);
  tracking::RunSearch search;
  try {
    search.experiment_ids = {experiment_id(entity, project, false)};
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNotFound) return std::nullopt;
    throw;
  }
  search.filter = std::string("tags.`") + kRunIdTag + "` = '" + name + "'";
  search.view = tracking::ViewType::kAll;
  search.max_results = 1;
  auto page = store_.search_runs(search);
  if (page.items.empty()) return std::nullopt;
  return page.items.front();
}

json WandbRuns::upsert_bucket(const json& input) {
  if (!input.is_object())
    throw Error(ErrorCode::kInvalidInput, "UpsertBucket needs an 'input' object");
  std::string entity = str_or(input, "entityName", kDefaultEntity);
  std::string project = str_or(input, "modelName", "uncategorized");
  std::string name = str_or(input, "name", core::random_hex(8));
  check_name("entity", entity);
  check_name("project", project);
  check_name("run id", name);
  std::string display = str_or(input, "displayName", "");
  auto config = input.find("config");
  json parsed;  // checked before anything is written
  if (config != input.end() && config->is_string()) {
    parsed = json::parse(config->get<std::string>(), nullptr, false);
    if (!parsed.is_object())
      throw Error(ErrorCode::kInvalidInput,
                  "UpsertBucket's config is not a JSON object in a string: " +
                      config->get<std::string>().substr(0, 100));
  }

  std::lock_guard lock(mutex_);
  std::string exp = experiment_id(entity, project, true);
  auto run = find(entity, project, name);
  bool inserted = !run;
  if (!run) {
    tracking::NewRun fresh;
    fresh.experiment_id = exp;
    fresh.user_id = entity;
    fresh.run_name = display;
    fresh.tags = {{kRunIdTag, name}};
    run = store_.create_run(fresh);
  } else if (!display.empty() && display != run->info.run_name) {
    store_.update_run(run->info.run_id, std::nullopt, std::nullopt, display);
  }
  if (parsed.is_object()) log_config(*run, parsed);
  set_tags(*run, input);
  auto fresh = store_.get_run(run->info.run_id);
  return {{"bucket",
           {{"id", fresh.info.run_id},
            {"name", name},
            {"displayName", fresh.info.run_name},
            {"description", tag_value(fresh, "mlflow.note.content")},
            {"config", config != input.end() && config->is_string() ? *config : json("{}")},
            {"sweepName", nullptr},
            {"project",
             {{"id", exp}, {"name", project}, {"entity", {{"id", entity}, {"name", entity}}}}},
            {"historyLineCount", line_count(fresh, kHistoryTag)}}},
          {"inserted", inserted}};
}

void WandbRuns::log_config(const tracking::Run& run, const json& config) {
  std::vector<Tag> params;
  for (const auto& [key, entry] : config.items()) {
    if (key == "_wandb") continue;
    flatten(entry.is_object() && entry.contains("value") ? entry["value"] : entry, key, params);
  }
  // MLflow params are immutable: new keys are logged, a changed value is kept in config.yaml.
  std::map<std::string, std::string> logged;
  for (const auto& p : run.params) logged[p.key] = p.value;
  std::vector<Tag> fresh;
  for (auto& p : params) {
    auto it = logged.find(p.key);
    if (it == logged.end()) {
      fresh.push_back(std::move(p));
    } else if (it->second != p.value) {
      spdlog::warn(
          "W&B run {}: config '{}' changed from {} to {}; MLflow params cannot change, "
          "the run keeps the first value",
          run.info.run_id, p.key, it->second, p.value);
    }
  }
  in_chunks<Tag>(fresh, tracking::kMaxBatchParams,
                 [&](std::vector<Tag> chunk) { store_.log_batch(run.info.run_id, {}, chunk, {}); });
}

void WandbRuns::set_tags(const tracking::Run& run, const json& input) {
  std::vector<Tag> tags;
  static const std::pair<const char*, const char*> kFields[] = {
      {"notes", "mlflow.note.content"},     {"host", "wandb.host"},
      {"jobProgram", "mlflow.source.name"}, {"commit", "mlflow.source.git.commit"},
      {"groupName", "wandb.group"},         {"jobType", "wandb.job_type"}};
  for (const auto& [field, key] : kFields) {
    std::string v = str_or(input, field, "");
    if (!v.empty()) tags.push_back({key, v});
  }
  auto list = input.find("tags");
  if (list != input.end() && list->is_array()) {
    json before = json::parse(tag_value(run, kTagsTag), nullptr, false);
    std::vector<std::string> now;
    for (const auto& t : *list)
      if (t.is_string() && !metric_key(t).empty()) now.push_back(metric_key(t));
    if (before.is_array())
      for (const auto& old : before)
        if (old.is_string() && std::find(now.begin(), now.end(), old) == now.end())
          store_.delete_tag(run.info.run_id, old);
    for (const auto& t : now) tags.push_back({t, ""});
    tags.push_back({kTagsTag, json(now).dump()});
  }
  in_chunks<Tag>(tags, tracking::kMaxBatchTags,
                 [&](std::vector<Tag> chunk) { store_.log_batch(run.info.run_id, {}, {}, chunk); });
}

void WandbRuns::file_stream(const tracking::Run& run, const json& body) {
  if (!body.is_object())
    throw Error(ErrorCode::kInvalidInput, "A file_stream body must be a JSON object");
  const std::string& run_id = run.info.run_id;
  std::lock_guard lock(mutex_);
  json summary;
  auto files = body.find("files");
  if (files != body.end() && files->is_object()) {
    if (auto f = files->find("wandb-history.jsonl"); f != files->end())
      log_lines(run_id, *f, false);
    if (auto f = files->find("wandb-events.jsonl"); f != files->end()) log_lines(run_id, *f, true);
    if (auto f = files->find("wandb-summary.json"); f != files->end())
      summary = keep_summary(run_id, *f);
  }
  auto complete = body.find("complete");
  if (complete != body.end() && complete->is_boolean() && complete->get<bool>()) {
    // The summary becomes metrics only now that the whole history is stored: during the run
    // it may be sent ahead of the history lines it summarises.
    if (summary.is_null())
      summary = json::parse(tag_value(store_.get_run(run_id), kSummaryTag), nullptr, false);
    if (summary.is_object()) log_summary(run_id, summary);
    auto code = body.find("exitcode");
    bool ok = code == body.end() || !code->is_number() || code->get<int64_t>() == 0;
    store_.update_run(run_id, ok ? "FINISHED" : "FAILED", tracking::now_ms(), std::nullopt);
  }
}

json WandbRuns::keep_summary(const std::string& run_id, const json& file) {
  auto content = file.find("content");
  if (content == file.end() || !content->is_array() || content->empty()) return nullptr;
  const json& line = content->back();
  json summary = line.is_string() ? json::parse(line.get<std::string>(), nullptr, false) : line;
  if (!summary.is_object()) {
    spdlog::warn("W&B run {}: wandb-summary.json is not a JSON object; skipped", run_id);
    return nullptr;
  }
  std::string text = summary.dump();
  if (text.size() <= kTagValueLimit) {
    store_.log_batch(run_id, {}, {}, {{kSummaryTag, text}});
  } else {
    spdlog::warn(
        "W&B run {}: the summary ({} bytes) is too long for a tag; it is applied only "
        "when it comes with the run's end",
        run_id, text.size());
  }
  return summary;
}

namespace {

// The lines of a file_stream file stored so far: every index below `count`, and the ranges
// [first, end) beyond it that arrived ahead of a gap (a chunk out of order). Both are run
// tags written in the same batch as the lines' metrics.
struct StoredLines {
  int64_t count = 0;
  std::vector<std::pair<int64_t, int64_t>> ahead;  // sorted, disjoint, each above count

  bool has(int64_t i) const {
    if (i < count) return true;
    for (const auto& [a, b] : ahead)
      if (i >= a && i < b) return true;
    return false;
  }
  void add(int64_t i) {
    ahead.emplace_back(i, i + 1);
    std::sort(ahead.begin(), ahead.end());
    std::vector<std::pair<int64_t, int64_t>> merged;
    for (const auto& r : ahead) {
      if (!merged.empty() && r.first <= merged.back().second)
        merged.back().second = std::max(merged.back().second, r.second);
      else
        merged.push_back(r);
    }
    ahead.clear();
    for (const auto& r : merged) {
      if (r.first <= count)
        count = std::max(count, r.second);
      else
        ahead.push_back(r);
    }
  }
  std::string ahead_json() const {
    json out = json::array();
    for (const auto& [a, b] : ahead) out.push_back({a, b});
    return out.dump();
  }
};

}  // namespace

void WandbRuns::log_lines(const std::string& run_id, const json& file, bool events) {
  const char* count_tag = events ? kEventsTag : kHistoryTag;
  const char* ahead_tag = events ? kEventsAheadTag : kHistoryAheadTag;
  const char* file_name = events ? "wandb-events.jsonl" : "wandb-history.jsonl";
  auto run = store_.get_run(run_id);
  StoredLines stored;
  stored.count = line_count(run, count_tag);
  json ahead = json::parse(tag_value(run, ahead_tag), nullptr, false);
  if (ahead.is_array())
    for (const auto& r : ahead)
      if (r.is_array() && r.size() == 2 && r[0].is_number_integer() && r[1].is_number_integer())
        stored.ahead.emplace_back(r[0].get<int64_t>(), r[1].get<int64_t>());
  auto at = file.is_object() ? file.find("offset") : file.end();
  if (at != file.end() && !at->is_number_integer())
    throw Error(ErrorCode::kInvalidInput, std::string("file_stream: 'offset' of ") + file_name +
                                              " must be an integer, not " + at->dump());
  int64_t offset = at == file.end() ? 0 : at->get<int64_t>();
  auto content = file.find("content");
  if (content == file.end() || !content->is_array()) return;
  std::vector<Metric> batch;
  bool changed = false;  // lines whose metrics are all in `batch` or stored are in `stored`
  auto flush = [&]() {
    store_.log_batch(run_id, batch, {},
                     {{count_tag, std::to_string(stored.count)}, {ahead_tag, stored.ahead_json()}});
    batch.clear();
  };
  for (size_t i = 0; i < content->size(); ++i) {
    int64_t index = offset + static_cast<int64_t>(i);
    if (stored.has(index)) continue;  // a chunk sent again after a retry
    const json& line = (*content)[i];
    json row = line.is_string() ? json::parse(line.get<std::string>(), nullptr, false) : line;
    if (!row.is_object()) {
      spdlog::warn("W&B run {}: line {} of {} is not a JSON object; skipped", run_id, index,
                   file_name);
    } else {
      int64_t step = index;
      if (auto s = row.find("_step"); !events && s != row.end() && s->is_number_integer())
        step = s->get<int64_t>();
      int64_t ts = timestamp_ms(row);
      std::vector<std::pair<std::string, double>> values;
      numbers(row, "", values);
      for (auto [key, value] : values) {
        if (events) std::tie(key, value) = system_metric(key, value);
        key = metric_key(key);
        if (key.empty() || !std::isfinite(value)) continue;
        // The two line-count tags travel in the same batch, within MLflow's entity limit.
        if (batch.size() + 2 == tracking::kMaxBatchEntities) flush();
        batch.push_back(metric(key, value, ts, step));
      }
    }
    stored.add(index);
    changed = true;
  }
  if (changed) flush();
}

void WandbRuns::log_summary(const std::string& run_id, const json& summary) {
  std::map<std::string, double> latest;
  for (const auto& m : store_.get_run(run_id).metrics) latest[m.key] = m.value;
  auto at = summary.find("_step");
  int64_t step = at != summary.end() && at->is_number_integer() ? at->get<int64_t>() : 0;
  int64_t ts = timestamp_ms(summary);
  std::vector<std::pair<std::string, double>> values;
  numbers(summary, "", values);
  std::vector<Metric> changed;
  for (const auto& [k, value] : values) {
    std::string key = metric_key(k);
    if (key.empty() || !std::isfinite(value)) continue;
    auto it = latest.find(key);
    if (it == latest.end() || it->second != value) changed.push_back(metric(key, value, ts, step));
  }
  in_chunks<Metric>(changed, tracking::kMaxBatchMetrics,
                    [&](std::vector<Metric> chunk) { store_.log_batch(run_id, chunk, {}, {}); });
}

}  // namespace plinth::server::internal
