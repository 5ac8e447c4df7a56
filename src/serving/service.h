#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "features/enrichment.h"
#include "http/server.h"
#include "model/package.h"
#include "model/predictor.h"
#include "monitor/live.h"
#include "serving/batcher.h"
#include "serving/input.h"
#include "serving/metrics.h"

// `plinth serve`: one model behind the handbook's /predict, MLflow's /invocations and the Open
// Inference Protocol (KServe v2), with health, OpenAPI, Prometheus metrics, live drift and hot
// reload. Every endpoint is a thin adapter over the same predictor.
namespace plinth::serving {

// Receives every scored request: its inputs, outputs and request id (the prediction log).
using ScoredSink =
    std::function<void(const table::Table& inputs, const std::vector<table::Column>& outputs,
                       const std::string& request_id)>;

// Where a model comes from: its package folder, and the name and version it is served as.
struct ModelRef {
  std::filesystem::path folder;
  std::string name;     // registered name, or the folder's name
  std::string version;  // registry version, or the first 8 characters of the model's uuid
};

// A loaded model and everything tied to it. Immutable once loaded except the live-drift
// windows, which are thread-safe.
struct LoadedModel {
  ModelRef ref;
  model::ModelPackage package;
  std::unique_ptr<model::Predictor> predictor;
  std::unique_ptr<Batcher> batcher;  // null unless micro-batching is on
  std::vector<InputField> fields;
  std::unique_ptr<monitor::LiveDrift> drift;  // null when the package has no profile.json
  std::vector<size_t> drift_of_field;         // drift column of each field, or npos
  size_t drift_of_prediction = std::string::npos;
  nlohmann::ordered_json input_example;  // first row of input_example.json as an object, or null
  std::string openapi, docs_html;

  std::string version_label() const { return ref.name + "/" + ref.version; }
};

struct ServiceOptions {
  monitor::LiveDriftOptions drift;
  // Micro-batching: above 1, concurrent requests are scored together, up to this many rows,
  // each waiting at most batch_wait for others to join.
  size_t max_batch = 1;
  std::chrono::microseconds batch_wait{500};
  // The feature repository for packages that declare `features:` (their inputs are completed
  // from its online store by entity key); null when serving without one.
  std::shared_ptr<features::OnlineFeatures> features;
  // Declared at serve time for a package that declares no `features:` of its own (a model
  // logged with mlflow.onnx, say); the package's own declaration wins.
  std::optional<model::FeatureLookup> feature_lookup;
  // Reference data for live drift of a package without profile.json (one logged with
  // mlflow.onnx, say): profiled as the model scores it when the model is loaded.
  std::filesystem::path reference_data;
};

// Loads and compiles the package and scores its input example once, so a model that cannot
// serve fails here (Error naming the folder and the cause) and never after a swap.
std::shared_ptr<const LoadedModel> load_model(const ModelRef& ref, const ServiceOptions& options);

class Service {
 public:
  Service(std::shared_ptr<const LoadedModel> model, ServiceOptions options,
          ScoredSink sink = nullptr);
  ~Service();

  http::ServerResponse handle(const http::ServerRequest& request);

  // The model requests are scored with now; requests in flight keep the one they started with.
  std::shared_ptr<const LoadedModel> model() const;
  void swap(std::shared_ptr<const LoadedModel> model);

  // Calls `resolve` every `interval` (in a thread of its own) and loads and swaps to the model
  // it names when its version changes; a model that fails to load is logged and counted, and
  // the current one stays.
  void watch(std::function<ModelRef()> resolve, std::chrono::milliseconds interval);

  // After this, /ready answers 503 so load balancers stop sending requests.
  void set_stopping();

 private:
  http::ServerResponse dispatch(const http::ServerRequest& request, std::string& route);
  http::ServerResponse predict(const http::ServerRequest& request);
  http::ServerResponse invocations(const http::ServerRequest& request);
  http::ServerResponse kserve(const http::ServerRequest& request, std::string& route);
  http::ServerResponse health() const;
  http::ServerResponse live_drift() const;
  // Scores `t` with `m`, feeds metrics, live drift and the prediction log.
  struct Scored {
    model::Scores scores;
    std::vector<table::Column> outputs;
  };
  Scored score(const LoadedModel& m, const table::Table& t, const std::string& request_id);
  void watch_loop(std::function<ModelRef()> resolve, std::chrono::milliseconds interval);

  ServiceOptions options_;
  ScoredSink sink_;
  Metrics metrics_;
  mutable std::mutex model_mutex_;
  std::shared_ptr<const LoadedModel> model_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> next_request_{0};
  std::string request_prefix_;
  std::mutex watch_mutex_;
  std::condition_variable watch_wake_;
  bool watch_stop_ = false;
  std::thread watcher_;
};

}  // namespace plinth::serving
