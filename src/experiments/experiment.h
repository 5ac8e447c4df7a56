#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/system_metrics.h"

namespace plinth::tracking {
class Store;
}

namespace plinth::experiments {

// One experiment to run: the pipeline (or a command) with some params changed, in a temporary
// copy of the workspace, stored the way DVC stores experiments (a commit under refs/exps/).
struct ExperimentSpec {
  // The experiment's name, as `dvc exp run --name` takes it; empty: generated like DVC's
  // ("adjective-noun", unique among the baseline's experiments).
  std::string name;
  // Param overrides as `-S` takes them: "[file:]section.param=value" (file defaults to
  // params.yaml; the value is parsed as YAML, so "0.1" is a float and "'0.1'" a string).
  // A key that does not exist yet is added. Bad entries throw Error(kInvalidInput) from
  // start(), naming the entry and what is wrong.
  std::vector<std::string> set_params;
  // When set, the run gets the tag mlflow.parentRunId (a sweep's trials under the sweep).
  std::string parent_run_id;
  // Extra tags for the tracked run (set after Plinth's own, so they win).
  std::map<std::string, std::string> tags;
  // Empty: reproduce the pipeline (`plinth repro`). Otherwise this argv runs (no shell) in the
  // experiment's workspace instead, like W&B's sweep `command:`; the pipeline's metrics files
  // are still read afterwards.
  std::vector<std::string> command;
  // The commit the experiment starts from and the tree its workspace copy holds (a queued
  // experiment's snapshot). Empty: HEAD, and HEAD's tree with the workspace's uncommitted
  // changes to git-tracked files, taken by start().
  std::string baseline;
  std::string source_tree;
  // Seconds between system-metrics samples of the experiment's process tree; 0: none.
  double system_metrics_interval = kDefaultSystemMetricsInterval;
};

// Where and how experiments run; shared by every experiment started with it.
struct ExperimentContext {
  // The user's workspace (holds .git and .dvc). Its HEAD is the baseline of new experiments.
  std::filesystem::path root;
  // Where each experiment is logged as a run (params, metrics, data md5s, baseline commit);
  // must be safe to call from several threads (every Store is). Null: not tracked.
  tracking::Store* store = nullptr;
  // The MLflow experiment the runs go to (created when missing); empty: the root's folder name.
  std::string tracking_experiment;
  // The plinth executable that runs `repro` in an experiment's workspace; empty: this process's
  // own executable (/proc/self/exe).
  std::filesystem::path plinth_executable;
  // Receives the experiment's output line by line, prefixed with its name; may be called from
  // several threads at once, so it must be thread-safe. Null: output is kept only for log_tail.
  std::function<void(const std::string& line)> print;
};

// How an experiment ended; names are MLflow's run statuses.
enum class Status {
  kFinished,  // every stage (or the command) succeeded; the commit is under refs/exps/
  kFailed,    // a stage or the command failed (exit_code, log_tail say why)
  kKilled,    // stop() ended it; files written before then are kept in the workspace
};

// "FINISHED", "FAILED", "KILLED".
const char* status_name(Status status);

struct ExperimentOutcome {
  std::string name;      // the experiment's name (generated when the spec had none)
  std::string run_id;    // the tracked run; empty when the context has no store
  std::string commit;    // sha of the experiment's commit under refs/exps/; empty unless kFinished
  std::string baseline;  // sha of the baseline commit the experiment started from
  Status status = Status::kFailed;
  // Of the pipeline stage whose command failed (failed_stage), else of `repro` or the
  // command; 128 + signal when killed.
  int exit_code = 0;
  std::string failed_stage;  // the address of that stage; empty when none failed
  std::string log_tail;      // the last lines of the output (at most ~4 KiB)
  // Params and metrics as `dvc exp show --json` has them under "data":
  // {"params": {file: {"data": {...}}}, "metrics": {file: {"data": {...}}}}.
  nlohmann::json params;
  nlohmann::json metrics;
  std::chrono::milliseconds duration{0};  // from start() to the end of the process
};

// An experiment in progress. Owned by the caller; destroying it before wait() stops it.
class RunningExperiment {
 public:
  virtual ~RunningExperiment() = default;
  // The experiment's name (known from start()).
  virtual const std::string& name() const = 0;
  // The temporary copy of the workspace the stages run in. Metrics files appear here while the
  // experiment runs (a sweep reads per-step metrics from it); removed when wait() returns.
  virtual const std::filesystem::path& workspace() const = 0;
  // Terminates the experiment's process group (SIGTERM, then SIGKILL after 3 s) and returns
  // at once; wait() then reports kKilled. Safe to call from any thread, more than once, and
  // after the experiment ended (then it does nothing).
  virtual void stop() = 0;
  // Blocks until the experiment ends; commits it under refs/exps/ when it succeeded, finishes
  // its tracked run and returns the outcome. Call once.
  virtual ExperimentOutcome wait() = 0;
};

// Prepares the experiment's workspace (a copy of the baseline's files, the -S overrides
// applied, the shared cache configured) and starts it in its own process group. Safe to call
// from several threads at once. Throws Error(kInvalidInput) for bad set_params or names,
// Error(kNotFound) when `root` has no git repository or no commit.
std::unique_ptr<RunningExperiment> start(const ExperimentContext& context,
                                         const ExperimentSpec& spec);

}  // namespace plinth::experiments
