#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tracking/database.h"
#include "tracking/entities.h"

namespace plinth::tracking {

struct RunSearch {
  std::vector<std::string> experiment_ids;
  std::string filter;  // spec mlflow-rest.md §6
  ViewType view = ViewType::kActiveOnly;
  int64_t max_results = 1000;
  std::vector<std::string> order_by;
  std::string page_token;
};

struct ExperimentSearch {
  std::string filter;
  ViewType view = ViewType::kActiveOnly;
  int64_t max_results = 1000;
  std::vector<std::string> order_by;
  std::string page_token;
};

struct NewRun {
  std::string experiment_id = "0";
  std::string user_id;
  std::string run_name;  // generated (adjective-animal-NNN) when empty and no mlflow.runName tag
  std::optional<int64_t> start_time;
  std::vector<Tag> tags;
};

struct NewLoggedModel {
  std::string experiment_id;
  std::string name;
  std::string model_type;
  std::string source_run_id;
  std::vector<Tag> params;
  std::vector<Tag> tags;
};

// Limits of one log_batch call (MLflow's; spec mlflow-rest.md §4).
inline constexpr size_t kMaxBatchMetrics = 1000;
inline constexpr size_t kMaxBatchParams = 100;
inline constexpr size_t kMaxBatchTags = 100;
inline constexpr size_t kMaxBatchEntities = 1000;

// Experiments, runs and logged models, with MLflow's semantics. Every method is atomic and safe
// to call from several threads. Failures throw plinth::Error whose message is what MLflow
// says: kInvalidInput (bad value, wrong state), kNotFound (unknown id or name), kConflict (the
// name is taken). Experiment "0" ("Default") always exists.
class Store {
 public:
  virtual ~Store() = default;

  virtual std::string create_experiment(const std::string& name,
                                        const std::string& artifact_location,
                                        const std::vector<Tag>& tags) = 0;
  virtual Experiment get_experiment(const std::string& experiment_id) = 0;
  virtual Experiment get_experiment_by_name(const std::string& name) = 0;
  virtual Page<Experiment> search_experiments(const ExperimentSearch& search) = 0;
  virtual void rename_experiment(const std::string& experiment_id, const std::string& name) = 0;
  virtual void delete_experiment(const std::string& experiment_id) = 0;  // and its runs
  virtual void restore_experiment(const std::string& experiment_id) = 0;
  virtual void set_experiment_tag(const std::string& experiment_id, const Tag& tag) = 0;
  virtual void delete_experiment_tag(const std::string& experiment_id, const std::string& key) = 0;

  virtual Run create_run(const NewRun& run) = 0;
  virtual Run get_run(const std::string& run_id) = 0;
  // Changes only what is given; a new name also rewrites tag mlflow.runName.
  virtual RunInfo update_run(const std::string& run_id, const std::optional<std::string>& status,
                             std::optional<int64_t> end_time,
                             const std::optional<std::string>& run_name) = 0;
  virtual void delete_run(const std::string& run_id) = 0;
  virtual void restore_run(const std::string& run_id) = 0;
  // Appends metrics to their histories, logs params (immutable once logged) and sets tags, all
  // or nothing. Enforces the kMaxBatch* limits.
  virtual void log_batch(const std::string& run_id, const std::vector<Metric>& metrics,
                         const std::vector<Tag>& params, const std::vector<Tag>& tags) = 0;
  virtual void delete_tag(const std::string& run_id, const std::string& key) = 0;
  virtual void log_inputs(const std::string& run_id, const std::vector<DatasetInput>& datasets,
                          const std::vector<std::string>& model_ids) = 0;
  virtual void log_outputs(const std::string& run_id, const std::vector<ModelOutput>& models) = 0;
  virtual Page<Run> search_runs(const RunSearch& search) = 0;
  // Every point logged for `key`, ordered by (timestamp, step, value); max_results 0 = all.
  virtual Page<Metric> metric_history(const std::string& run_id, const std::string& key,
                                      int64_t max_results, const std::string& page_token) = 0;
  // The same points as columns, ordered by (step, timestamp, value) as MLflow samples them:
  // for charts of long histories, which need neither strings nor paging. The default reads
  // metric_history; SQL stores read the three columns alone.
  virtual MetricSeries metric_series(const std::string& run_id, const std::string& key);

  virtual LoggedModel create_logged_model(const NewLoggedModel& model) = 0;
  virtual LoggedModel get_logged_model(const std::string& model_id) = 0;
  virtual LoggedModel finalize_logged_model(const std::string& model_id,
                                            const std::string& status) = 0;
  virtual void delete_logged_model(const std::string& model_id) = 0;
  // Models of the given experiments; filter supports `name = '...'` style clauses on name.
  virtual Page<LoggedModel> search_logged_models(const std::vector<std::string>& experiment_ids,
                                                 const std::string& filter, int64_t max_results,
                                                 const std::string& page_token) = 0;
  virtual void set_logged_model_tags(const std::string& model_id, const std::vector<Tag>& tags) = 0;
  virtual void delete_logged_model_tag(const std::string& model_id, const std::string& key) = 0;
  virtual void log_logged_model_params(const std::string& model_id,
                                       const std::vector<Tag>& params) = 0;
};

// A Store over `db` (SQLite or PostgreSQL; the SQL is shared). `artifact_root` is where new
// experiments put their artifacts: "mlflow-artifacts:" when the server proxies artifacts, or a
// folder. The database must outlive the store.
std::unique_ptr<Store> make_store(Database& db, const std::string& artifact_root);

// Milliseconds since the epoch, now.
int64_t now_ms();

}  // namespace plinth::tracking
