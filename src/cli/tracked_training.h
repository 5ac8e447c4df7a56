#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace plinth::tracking {
class Store;
}

namespace plinth::cli {

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

// One pipeline execution as a finished run: params and metrics (flat names), tags (the git
// commit, the stages that ran), and each dependency as a dataset input whose digest is its md5.
struct PipelineRecord {
  std::string experiment;
  std::map<std::string, std::string> params;
  std::map<std::string, double> metrics;
  std::map<std::string, std::string> tags;
  std::map<std::string, std::string> deps;  // path -> md5
};
// Returns the run id.
std::string log_pipeline_run(const PipelineRecord& record);

}  // namespace plinth::cli
