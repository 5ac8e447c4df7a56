#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace plinth::tracking {

// The tracking entities, shaped as MLflow's REST API shows them (spec mlflow-rest.md §2).

struct Tag {
  std::string key;
  std::string value;
};

// The tag (or param) named `key` in `tags`, or nullptr.
inline const Tag* find_tag(const std::vector<Tag>& tags, const std::string& key) {
  for (const auto& t : tags)
    if (t.key == key) return &t;
  return nullptr;
}

struct Experiment {
  std::string experiment_id;
  std::string name;
  std::string artifact_location;
  std::string lifecycle_stage;  // "active" or "deleted"
  int64_t creation_time = 0;    // ms since the epoch
  int64_t last_update_time = 0;
  std::vector<Tag> tags;
};

struct RunInfo {
  std::string run_id;
  std::string run_name;
  std::string experiment_id;
  std::string user_id;
  std::string status;  // RUNNING, SCHEDULED, FINISHED, FAILED, KILLED
  int64_t start_time = 0;
  std::optional<int64_t> end_time;
  std::string artifact_uri;
  std::string lifecycle_stage;
};

// One metric's history as columns, sorted by (step, timestamp, value); NaN values kept.
struct MetricSeries {
  std::vector<int64_t> step, timestamp;
  std::vector<double> value;
  size_t size() const { return value.size(); }
  // Sorts the points by (step, timestamp, value), NaN after numbers at equal step and time.
  void sort();
};

struct Metric {
  std::string key;
  double value = 0;  // may be NaN or infinite
  int64_t timestamp = 0;
  int64_t step = 0;
  std::string model_id;  // optional ones are "" when unset
  std::string dataset_name;
  std::string dataset_digest;
};

struct Dataset {
  std::string name;
  std::string digest;
  std::string source_type;
  std::string source;
  std::string schema;
  std::string profile;
};

struct DatasetInput {
  std::vector<Tag> tags;  // e.g. mlflow.data.context = training
  Dataset dataset;
};

struct ModelOutput {
  std::string model_id;
  int64_t step = 0;
};

struct Run {
  RunInfo info;
  std::vector<Metric> metrics;  // the latest value per key
  std::vector<Tag> params;
  std::vector<Tag> tags;
  std::vector<DatasetInput> dataset_inputs;
  std::vector<std::string> model_inputs;  // logged model ids
  std::vector<ModelOutput> model_outputs;
};

struct LoggedModelMetric {
  Metric metric;       // model_id set
  std::string run_id;  // the run that logged the point
};

struct LoggedModel {
  std::string model_id;  // "m-" + 32 hex digits
  std::string experiment_id;
  std::string name;
  std::string artifact_uri;
  std::string status;  // LOGGED_MODEL_PENDING, LOGGED_MODEL_READY, LOGGED_MODEL_UPLOAD_FAILED
  std::string model_type;
  std::string source_run_id;
  std::string status_message;
  int64_t creation_time = 0;
  int64_t last_updated_time = 0;
  std::vector<Tag> tags;
  std::vector<Tag> params;
  std::vector<LoggedModelMetric> metrics;  // the points logged with this model's id
};

// A page of search results; `next_page_token` is "" on the last page.
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;
};

// Which rows a search sees by lifecycle stage.
enum class ViewType { kActiveOnly, kDeletedOnly, kAll };

}  // namespace plinth::tracking
