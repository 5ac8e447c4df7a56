#pragma once

#include <filesystem>
#include <string>

#include "experiments/experiment.h"
#include "pipeline/compare.h"

namespace plinth::experiments::internal {

// An experiment's run in the tracking store, started before its stages run.
struct TrackedRun {
  std::string run_id;
};

// Creates the run (RUNNING) in the context's tracking experiment with the experiment's params
// as they are in `workspace` after the -S overrides, and its tags: the baseline commit
// (mlflow.source.git.commit), the experiment's name, mlflow.parentRunId, the spec's tags.
TrackedRun start_run(const ExperimentContext& context, const ExperimentSpec& spec,
                     const std::filesystem::path& workspace);

// {file: {"data": {...}}} with dotted keys nested again: `exp show --json`'s params and metrics.
nlohmann::ordered_json nested(const pipeline::FlatValues& values);

// Fills out.params and out.metrics from the files in `workspace` (`exp show --json` shape).
void read_results(const std::filesystem::path& workspace, ExperimentOutcome& out);

// Logs the numeric metrics, the dependencies' md5s (dvc.lock) as dataset inputs, the commit,
// exit code and log tail as tags, and ends the run with the outcome's status. Returns its id.
std::string finish_run(const ExperimentContext& context, const TrackedRun& run,
                       const std::filesystem::path& workspace, const ExperimentOutcome& out);

}  // namespace plinth::experiments::internal
