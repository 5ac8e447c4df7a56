#include "experiments/internal/run_record.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>

#include "core/error.h"
#include "pipeline/compare.h"
#include "pipeline/lock_file.h"
#include "tracking/store.h"

namespace plinth::experiments::internal {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string experiment_id(tracking::Store& store, const std::string& name) {
  for (int attempt = 0;; ++attempt) {
    try {
      return store.get_experiment_by_name(name).experiment_id;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
    }
    try {
      return store.create_experiment(name, "", {});
    } catch (const Error& e) {  // another experiment created it meanwhile
      if (e.code() != ErrorCode::kConflict || attempt > 0) throw;
    }
  }
}

// A flat name as `plinth repro` logs it: "key" for the usual file, else "file:key".
std::string flat_name(const std::string& file, const std::string& key, const char* usual) {
  return file == usual ? key : file + ":" + key;
}

template <typename T>
void in_batches(const std::vector<T>& items, size_t limit,
                const std::function<void(std::vector<T>)>& f) {
  for (size_t i = 0; i < items.size(); i += limit)
    f(std::vector<T>(items.begin() + i, items.begin() + std::min(items.size(), i + limit)));
}

}  // namespace

nlohmann::ordered_json nested(const pipeline::FlatValues& values) {
  using json = nlohmann::ordered_json;
  json out = json::object();
  for (const auto& [file, keys] : values) {
    json data = json::object();
    for (const auto& [key, v] : keys) {
      json* at = &data;
      size_t start = 0;
      for (size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1) {
        at = &(*at)[key.substr(start, dot - start)];
        if (!at->is_object()) *at = json::object();
      }
      (*at)[key.substr(start)] = v;
    }
    out[file] = {{"data", data}};
  }
  return out;
}

TrackedRun start_run(const ExperimentContext& context, const ExperimentSpec& spec,
                     const fs::path& workspace) {
  tracking::Store& store = *context.store;
  tracking::NewRun run;
  std::string exp = context.tracking_experiment.empty() ? context.root.filename().string()
                                                        : context.tracking_experiment;
  run.experiment_id = experiment_id(store, exp);
  run.run_name = spec.name;
  run.user_id = env("USER");
  run.tags = {{"mlflow.source.type", "LOCAL"},
              {"mlflow.user", env("USER")},
              {"mlflow.source.git.commit", spec.baseline},
              {"plinth.exp.name", spec.name}};
  if (!spec.parent_run_id.empty()) run.tags.push_back({"mlflow.parentRunId", spec.parent_run_id});
  for (const auto& [k, v] : spec.tags) {  // the spec's tags win over Plinth's
    auto it =
        std::find_if(run.tags.begin(), run.tags.end(), [&](const auto& t) { return t.key == k; });
    if (it != run.tags.end())
      it->value = v;
    else
      run.tags.push_back({k, v});
  }
  std::string run_id = store.create_run(run).info.run_id;
  std::vector<tracking::Tag> params;
  for (const auto& [file, values] : pipeline::collect_params(workspace, {"workspace", true}))
    for (const auto& [key, v] : values)
      params.push_back({flat_name(file, key, "params.yaml"), pipeline::python_str(v)});
  in_batches<tracking::Tag>(params, tracking::kMaxBatchParams,
                            [&](auto batch) { store.log_batch(run_id, {}, batch, {}); });
  return {run_id};
}

void read_results(const fs::path& workspace, ExperimentOutcome& out) {
  pipeline::Revision here{"workspace", true};
  out.params = json::parse(nested(pipeline::collect_params(workspace, here)).dump());
  out.metrics = json::parse(nested(pipeline::collect_metrics(workspace, here)).dump());
}

std::string finish_run(const ExperimentContext& context, const TrackedRun& run,
                       const fs::path& workspace, const ExperimentOutcome& out) {
  tracking::Store& store = *context.store;
  std::vector<tracking::Metric> metrics;
  int64_t now = tracking::now_ms();
  try {
    for (const auto& [file, values] : pipeline::collect_metrics(workspace, {"workspace", true}))
      for (const auto& [key, v] : values)
        if (v.is_number() && !v.is_boolean()) {
          tracking::Metric m;
          m.key = flat_name(file, key, "metrics.json");
          m.value = v.get<double>();
          m.timestamp = now;
          metrics.push_back(m);
        }
  } catch (const Error&) {  // a failed stage may leave a broken metrics file: log none
  }
  std::vector<tracking::Tag> tags = {{"plinth.exp.exit_code", std::to_string(out.exit_code)}};
  if (!out.commit.empty()) tags.push_back({"plinth.exp.commit", out.commit});
  if (!out.failed_stage.empty()) tags.push_back({"plinth.exp.failed_stage", out.failed_stage});
  if (out.status != Status::kFinished)
    tags.push_back(
        {"plinth.exp.log_tail",
         out.log_tail.substr(out.log_tail.size() > 4000 ? out.log_tail.size() - 4000 : 0)});
  if (metrics.size() <= tracking::kMaxBatchMetrics) {  // one transaction in the usual case
    store.log_batch(run.run_id, metrics, {}, tags);
  } else {
    in_batches<tracking::Metric>(metrics, tracking::kMaxBatchMetrics,
                                 [&](auto batch) { store.log_batch(run.run_id, batch, {}, {}); });
    store.log_batch(run.run_id, {}, {}, tags);
  }
  fs::path lock = workspace / "dvc.lock";
  if (fs::exists(lock)) {
    std::map<std::string, std::string> deps;  // path -> md5, once each
    try {
      pipeline::LockFile locked = pipeline::LockFile::load(lock);
      for (const auto& [stage, sl] : locked.stages())
        for (const auto& d : sl.deps)
          if (!d.md5.empty()) deps[d.path] = d.md5;
    } catch (const Error&) {  // a failed stage may leave dvc.lock half-updated: log none
    }
    std::vector<tracking::DatasetInput> inputs;
    for (const auto& [path, md5] : deps)
      inputs.push_back({{{"mlflow.data.context", "pipeline"}}, {path, md5, "local", path, "", ""}});
    if (!inputs.empty()) store.log_inputs(run.run_id, inputs, {});
  }
  store.update_run(run.run_id, status_name(out.status), tracking::now_ms(), std::nullopt);
  return run.run_id;
}

}  // namespace plinth::experiments::internal
