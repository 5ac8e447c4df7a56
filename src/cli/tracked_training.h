#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace plinth::tracking {
class Store;
}

namespace plinth::cli {

// A run started from this machine's command line, in `experiment` (created if missing; empty:
// "Default").
std::string create_local_run(tracking::Store& store, const std::string& experiment,
                             const std::string& run_name);

// The tracking store the environment selects (PLINTH_TRACKING_URI, MLFLOW_TRACKING_URI, else
// the project's mlruns.db), for modules that log runs themselves (experiments).
std::shared_ptr<tracking::Store> open_tracking_store();

// The run a `plinth train` records in the tracking store the environment selects
// (PLINTH_TRACKING_URI, MLFLOW_TRACKING_URI, else the project's mlruns.db): started before
// fitting so MLmodel names it, finished with what the training produced.
std::string start_training_run(const std::string& experiment, const std::string& run_name);

struct TrainingRecord {
  std::string run_id;
  std::map<std::string, std::string> params;
  nlohmann::json metrics;         // name -> number (others are skipped)
  std::filesystem::path data;     // logged as the training dataset, digest = its md5
  std::filesystem::path package;  // logged as the run's artifact "model"
  std::string register_name;      // registers runs:/RUN_ID/model when not empty
};

// Logs params, metrics, the dataset input and the package, marks the run FINISHED and, when
// asked, registers the package. Returns the registered version ("" when not registering).
std::string finish_training_run(const TrainingRecord& record);

// Marks a training run FAILED (the fit or the package write threw).
void fail_training_run(const std::string& run_id);

// A run recorded while its work happens, in the store the environment selects (as for
// start_training_run) or `tracking_uri`: RUNNING from construction until end().
class LiveRun {
 public:
  struct Spec {
    std::string experiment;  // created when missing; empty: "Default"
    std::string run_name;    // empty: generated
    std::map<std::string, std::string> tags;
    std::string tracking_uri;  // empty: from the environment
  };
  explicit LiveRun(const Spec& spec);
  // A run that was not ended (the work threw) ends FAILED.
  ~LiveRun();
  LiveRun(const LiveRun&) = delete;
  LiveRun& operator=(const LiveRun&) = delete;

  const std::string& id() const;
  tracking::Store& store();
  // Variables (NAME=VALUE) that make a child process log to this run: PLINTH_RUN_ID, and for a
  // tracking server MLFLOW_RUN_ID, MLFLOW_EXPERIMENT_ID and MLFLOW_TRACKING_URI (as `mlflow
  // run` sets them). Not MLflow's for a local database: MLflow's client would open it with
  // its own schema.
  std::vector<std::string> child_environment() const;
  // Samples system metrics of the process tree under `root` every `interval` seconds into this
  // run until end(); interval 0 does nothing.
  void sample_system_metrics(pid_t root, double interval);
  // Stores `bytes` as the run's artifact `path`.
  void put_artifact(const std::string& path, const std::string& bytes);
  // Stops the sampling (which logs a final sample), then sets the status (FINISHED, FAILED or
  // KILLED) and the end time. The first call wins; later ones do nothing. Thread-safe.
  void end(const std::string& status);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// While it lives, SIGINT, SIGTERM and SIGHUP first end `run` KILLED, then end the process as
// they would have. For commands whose children get a terminal's Ctrl-C themselves (repro).
class KilledOnSignal {
 public:
  explicit KilledOnSignal(LiveRun& run);
  ~KilledOnSignal();
  KilledOnSignal(const KilledOnSignal&) = delete;
  KilledOnSignal& operator=(const KilledOnSignal&) = delete;
  // Whether one of those signals arrived (the work failing now is its doing).
  static bool signalled();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// One pipeline execution as a finished run: params and metrics (flat names), tags (the git
// commit, the stages that ran), and each dependency as a dataset input whose digest is its md5.
struct PipelineRecord {
  std::map<std::string, std::string> params;
  std::map<std::string, double> metrics;
  std::map<std::string, std::string> tags;
  std::map<std::string, std::string> deps;  // path -> md5
};
// Logs the record to `run` and ends it FINISHED.
void finish_pipeline_run(LiveRun& run, const PipelineRecord& record);

}  // namespace plinth::cli
