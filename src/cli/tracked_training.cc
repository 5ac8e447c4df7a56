// The runs plinth records itself while it works: `plinth train`'s training run, LiveRun for
// experiments and pipelines, and the pipeline record that ends a `plinth repro` run.
#include "cli/tracked_training.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <mutex>

#include "cli/tracking_session.h"
#include "core/error.h"
#include "core/file_io.h"
#include "experiments/system_metrics.h"
#include "storage/files.h"
#include "table/dataset.h"
#include "tracking/artifact_store.h"

namespace plinth::cli {
namespace fs = std::filesystem;

namespace {

std::string experiment_id_for(tracking::Store& store, const std::string& name) {
  if (name.empty()) return "0";
  try {
    return store.get_experiment_by_name(name).experiment_id;
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
    return store.create_experiment(name, "", {});
  }
}

// The training data as an MLflow dataset: a local file by its md5, an s3:// object or prefix
// (source type "s3") or a folder by the md5 of its listing.
tracking::Dataset dataset_of(const fs::path& data) {
  std::string uri = data.string();
  bool s3 = storage::is_s3_uri(uri);
  std::string source = s3 ? uri : fs::relative(fs::absolute(data), project_root()).generic_string();
  return {source, table::dataset_digest(uri), s3 ? "s3" : "local", source, "", ""};
}

}  // namespace

std::string create_local_run(tracking::Store& store, const std::string& experiment,
                             const std::string& run_name) {
  tracking::NewRun spec;
  spec.experiment_id = experiment_id_for(store, experiment);
  spec.run_name = run_name;
  spec.user_id = env("USER");
  spec.tags = {{"mlflow.source.type", "LOCAL"}, {"mlflow.user", env("USER")}};
  return store.create_run(spec).info.run_id;
}

std::shared_ptr<tracking::Store> open_tracking_store() {
  auto session = std::make_shared<Session>(TrackingFlags{});
  return std::shared_ptr<tracking::Store>(session, session->store.get());
}

std::string start_training_run(const std::string& experiment, const std::string& run_name) {
  Session s(TrackingFlags{});
  return create_local_run(*s.store, experiment, run_name);
}

std::string finish_training_run(const TrainingRecord& r) {
  Session s(TrackingFlags{});
  std::vector<tracking::Tag> params;
  for (const auto& [k, v] : r.params) params.push_back({k, v});
  std::vector<tracking::Metric> metrics;
  for (const auto& [k, v] : r.metrics.items())
    if (v.is_number()) {
      tracking::Metric m;
      m.key = k;
      m.value = v.get<double>();
      m.timestamp = tracking::now_ms();
      metrics.push_back(m);
    }
  s.store->log_batch(r.run_id, metrics, params, {});
  s.store->log_inputs(r.run_id, {{{{"mlflow.data.context", "training"}}, dataset_of(r.data)}}, {});
  std::string base =
      tracking::proxied_path(s.store->get_run(r.run_id).info.artifact_uri) + "/model";
  for (const auto& e : fs::recursive_directory_iterator(r.package))
    if (e.is_regular_file())
      s.artifacts->put(base + "/" + fs::relative(e.path(), r.package).generic_string(),
                       core::read_file(e.path()));
  s.store->update_run(r.run_id, "FINISHED", tracking::now_ms(), std::nullopt);
  if (r.register_name.empty()) return "";
  try {
    s.registry->create_model(r.register_name, {}, "");
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kConflict) throw;
  }
  registry::NewModelVersion spec;
  spec.name = r.register_name;
  spec.source = "runs:/" + r.run_id + "/model";
  spec.run_id = r.run_id;
  spec.user_id = env("USER");
  return std::to_string(s.registry->create_version(spec).version);
}

void fail_training_run(const std::string& run_id) {
  Session s(TrackingFlags{});
  s.store->update_run(run_id, "FAILED", tracking::now_ms(), std::nullopt);
}

struct LiveRun::State {
  Session session;
  std::string run_id;
  std::string experiment_id;
  std::unique_ptr<experiments::SystemMetricsSampler> sampler;
  std::mutex end_mutex;  // a signal's thread and the command's may both end the run
  bool ended = false;

  explicit State(const std::string& tracking_uri)
      : session(TrackingFlags{tracking_uri, "", "", false}) {}
};

LiveRun::LiveRun(const Spec& spec) : state_(std::make_unique<State>(spec.tracking_uri)) {
  tracking::Store& store = *state_->session.store;
  state_->run_id = create_local_run(store, spec.experiment, spec.run_name);
  state_->experiment_id = store.get_run(state_->run_id).info.experiment_id;
  std::vector<tracking::Tag> tags;
  for (const auto& [k, v] : spec.tags) tags.push_back({k, v});
  if (!tags.empty()) store.log_batch(state_->run_id, {}, {}, tags);
}

LiveRun::~LiveRun() {
  try {
    end("FAILED");
  } catch (const std::exception& e) {
    spdlog::warn("cannot mark run {} FAILED: {}", state_->run_id, e.what());
  }
}

const std::string& LiveRun::id() const { return state_->run_id; }

tracking::Store& LiveRun::store() { return *state_->session.store; }

std::vector<std::string> LiveRun::child_environment() const {
  std::vector<std::string> vars = {"PLINTH_RUN_ID=" + state_->run_id};
  if (state_->session.is_server()) {
    vars.push_back("MLFLOW_RUN_ID=" + state_->run_id);
    vars.push_back("MLFLOW_EXPERIMENT_ID=" + state_->experiment_id);
    vars.push_back("MLFLOW_TRACKING_URI=" + state_->session.uri);
  }
  return vars;
}

void LiveRun::sample_system_metrics(pid_t root, double interval) {
  if (interval <= 0) return;
  experiments::SystemMetricsOptions options;
  options.interval_seconds = interval;
  options.root_pid = root;
  state_->sampler = std::make_unique<experiments::SystemMetricsSampler>(*state_->session.store,
                                                                        state_->run_id, options);
}

void LiveRun::put_artifact(const std::string& path, const std::string& bytes) {
  std::string base = tracking::proxied_path(store().get_run(state_->run_id).info.artifact_uri);
  state_->session.artifacts->put(base + "/" + path, bytes);
}

void LiveRun::end(const std::string& status) {
  std::lock_guard<std::mutex> lock(state_->end_mutex);
  if (state_->ended) return;
  state_->ended = true;
  if (state_->sampler) state_->sampler->stop();
  store().update_run(state_->run_id, status, tracking::now_ms(), std::nullopt);
}

void finish_pipeline_run(LiveRun& run, const PipelineRecord& r) {
  std::vector<tracking::Tag> params, tags;
  for (const auto& [k, v] : r.params) params.push_back({k, v});
  for (const auto& [k, v] : r.tags) tags.push_back({k, v});
  std::vector<tracking::Metric> metrics;
  for (const auto& [k, v] : r.metrics) {
    tracking::Metric m;
    m.key = k;
    m.value = v;
    m.timestamp = tracking::now_ms();
    metrics.push_back(m);
  }
  run.store().log_batch(run.id(), metrics, params, tags);
  std::vector<tracking::DatasetInput> inputs;
  for (const auto& [path, md5] : r.deps)
    inputs.push_back({{{"mlflow.data.context", "pipeline"}}, {path, md5, "local", path, "", ""}});
  if (!inputs.empty()) run.store().log_inputs(run.id(), inputs, {});
  run.end("FINISHED");
}

}  // namespace plinth::cli
