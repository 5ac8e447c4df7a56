#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tracking/database.h"
#include "tracking/store.h"

// The Store over SQL shared by SQLite and PostgreSQL: experiments in sql_experiments.cc, runs in
// sql_store.cc, logged models in sql_logged_models.cc.
namespace plinth::tracking::internal {

[[noreturn]] void invalid(const std::string& message);    // Error(kInvalidInput)
[[noreturn]] void not_found(const std::string& message);  // Error(kNotFound)
// The lifecycle_stage a view selects; nullptr for all.
const char* stage_for(ViewType view);
// The number an experiment id names; MLflow's "No Experiment" message for anything else.
int64_t parse_experiment_id(const std::string& id);
std::string placeholders(size_t n);  // "?, ?, ?" for n values
// The metric in columns key, value, is_nan, ts, step from column `first` on.
Metric read_metric(const Row& r, int first);

class SqlStore : public Store {
 public:
  SqlStore(Database& db, std::string artifact_root);

  // ---- experiments ----
  std::string create_experiment(const std::string& name, const std::string& artifact_location,
                                const std::vector<Tag>& tags) override;
  Experiment get_experiment(const std::string& experiment_id) override;
  Experiment get_experiment_by_name(const std::string& name) override;
  Page<Experiment> search_experiments(const ExperimentSearch& search) override;
  void rename_experiment(const std::string& experiment_id, const std::string& name) override;
  void delete_experiment(const std::string& experiment_id) override;
  void restore_experiment(const std::string& experiment_id) override;
  void set_experiment_tag(const std::string& experiment_id, const Tag& tag) override;
  void delete_experiment_tag(const std::string& experiment_id, const std::string& key) override;

  // ---- runs ----
  Run create_run(const NewRun& spec) override;
  Run get_run(const std::string& run_id) override;
  RunInfo update_run(const std::string& run_id, const std::optional<std::string>& status,
                     std::optional<int64_t> end_time,
                     const std::optional<std::string>& run_name) override;
  void delete_run(const std::string& run_id) override;
  void restore_run(const std::string& run_id) override;
  void log_batch(const std::string& run_id, const std::vector<Metric>& metrics,
                 const std::vector<Tag>& params, const std::vector<Tag>& tags) override;
  void delete_tag(const std::string& run_id, const std::string& key) override;
  void log_inputs(const std::string& run_id, const std::vector<DatasetInput>& datasets,
                  const std::vector<std::string>& model_ids) override;
  void log_outputs(const std::string& run_id, const std::vector<ModelOutput>& models) override;
  Page<Run> search_runs(const RunSearch& search) override;
  Page<Metric> metric_history(const std::string& run_id, const std::string& key,
                              int64_t max_results, const std::string& page_token) override;
  MetricSeries metric_series(const std::string& run_id, const std::string& key) override;

  // ---- logged models ----
  LoggedModel create_logged_model(const NewLoggedModel& spec) override;
  LoggedModel get_logged_model(const std::string& model_id) override;
  LoggedModel finalize_logged_model(const std::string& model_id,
                                    const std::string& status) override;
  void delete_logged_model(const std::string& model_id) override;
  Page<LoggedModel> search_logged_models(const std::vector<std::string>& experiment_ids,
                                         const std::string& filter, int64_t max_results,
                                         const std::string& page_token) override;
  void set_logged_model_tags(const std::string& model_id, const std::vector<Tag>& tags) override;
  void delete_logged_model_tag(const std::string& model_id, const std::string& key) override;
  void log_logged_model_params(const std::string& model_id,
                               const std::vector<Tag>& params) override;

 private:
  Experiment load_experiment(const std::string& experiment_id);
  void set_experiment_stage(const std::string& experiment_id, const std::string& stage);
  RunInfo load_run_info(const std::string& run_id);
  RunInfo active_run(const std::string& run_id);
  Run load_run(const std::string& run_id);

  // Which of a run's data fill_runs reads.
  struct RunParts {
    bool params = true, tags = true, metrics = true, inputs = true, outputs = true;
    bool any() const { return params || tags || metrics || inputs || outputs; }
  };

  // Loads the chosen parts of `runs`' data (params, tags, latest metrics, inputs, outputs), a
  // query per part per 500 runs.
  void fill_runs(std::vector<Run>& runs, RunParts parts);
  void set_run_stage(const std::string& run_id, const std::string& stage);
  void put_tag(const std::string& run_id, const std::string& key, const std::string& value);
  static void check_batch_limits(size_t metrics, size_t params, size_t tags);
  void log_params(const std::string& run_id, const std::map<std::string, std::string>& params);

  // Appends `metrics` to the run's histories, as MLflow's store does: a point equal to another
  // of the batch (key, timestamp, step, value) is dropped, and so is a point carrying a model
  // id that the run already has. The MLflow 3 client logs a run's points again with the id of
  // the model it logged; MLflow keeps them in the run's history once and shows them on the
  // model. (Looking up every point would cost a query per point on the ingest path, so plain
  // points repeated across batches are kept.)
  void log_metrics(const std::string& run_id, const std::vector<Metric>& metrics);

  // Whether the run's history has `m`'s key, timestamp, step and value.
  bool has_point(const std::string& run_id, const Metric& m);

  LoggedModel load_logged_model(const std::string& model_id);
  void put_model_entries(const std::string& table, const std::string& model_id,
                         const std::vector<Tag>& entries);

  Database& db_;
  std::string artifact_root_;
};

}  // namespace plinth::tracking::internal
