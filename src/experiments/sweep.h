#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "experiments/experiment.h"
#include "experiments/search.h"

namespace plinth::experiments {

// One trial of a sweep: an experiment with the search's parameter values.
struct Trial {
  int number = 0;  // 1-based, in the order the search proposed them
  std::string name;
  std::string run_id;
  Assignment values;
  std::vector<double> point;
  std::string status = "RUNNING";  // then FINISHED, FAILED or KILLED (MLflow's names)
  bool early_stopped = false;      // KILLED by Hyperband
  int exit_code = 0;         // of the failed stage (failed_stage), else of repro or the command
  std::string failed_stage;  // the pipeline stage whose command failed, if one did
  std::string log_tail;
  std::optional<double> metric;  // the final value; while running, the latest step's
  std::vector<double> history;   // the metric per step, read while the trial runs
  std::chrono::system_clock::time_point started, ended;
};

struct SweepState {
  std::string run_id;  // the sweep's own (parent) run; empty when not tracked
  std::vector<Trial> trials;
  bool done = false;
  bool interrupted = false;
  // The trial with the best final metric (FINISHED or early-stopped trials), if any.
  std::optional<size_t> best(const SweepConfig& config) const;
};

struct SweepOptions {
  std::string name;  // of the sweep's run; empty: the config's name, else "sweep"
  int jobs = 1;
  long long count = 0;  // trials to run at most; 0: the grid's size (grid only)
  uint64_t seed = 0;
  std::chrono::milliseconds poll{300};  // how often running trials' metrics are read
  double system_metrics_interval = kDefaultSystemMetricsInterval;  // per trial; 0: none
  // Called (from the calling thread) whenever a trial starts, reports a step or ends.
  std::function<void(const SweepState&)> on_update;
  // Set (e.g. by a SIGINT handler) to stop: running trials are stopped and kept as KILLED,
  // finished ones stay as they are.
  const std::atomic<bool>* interrupt = nullptr;
};

// How many trials the sweep runs at most (0: the whole grid); throws Error(kInvalidInput) when
// a random or bayes sweep has neither `count` nor run_cap, kNotFound when there is no
// params.yaml to set the parameters in and no command.
long long planned_trials(const SweepConfig& config, const std::filesystem::path& root,
                         long long count);

// Runs the sweep: proposes trials with the config's search, runs up to `jobs` at once as
// experiments (children of the sweep's run through mlflow.parentRunId), reads each running
// trial's per-step metric from DVCLive's files in its workspace (<dir>/plots/metrics/<name>.tsv)
// and stops the trials Hyperband stops. Trials that fail do not stop the sweep.
SweepState run_sweep(const SweepConfig& config, const ExperimentContext& context,
                     const SweepOptions& options);

// The argv W&B's agent would run for `config`'s command (or program) with `values`: macros
// ${env}, ${interpreter}, ${program}, ${args}, ${args_no_hyphens}, ${args_no_equals},
// ${args_no_boolean_flags}, ${args_json}, ${args_json_file}, ${args_append_hydra},
// ${args_override_hydra}, ${envvar:NAME}. Empty when the config has neither.
std::vector<std::string> trial_command(const SweepConfig& config, const Assignment& values,
                                       const std::string& args_json_file);

// The `-S` overrides that put `values` into params.yaml ("++train.lr=0.01").
std::vector<std::string> trial_overrides(const SweepConfig& config, const Assignment& values);

}  // namespace plinth::experiments
