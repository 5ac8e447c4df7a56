#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "experiments/experiment.h"

namespace plinth::experiments {

// Plinth's experiment queue: one JSON file per queued experiment in
// `.dvc/tmp/plinth-exps/queue/` (git-ignored with the rest of .dvc/tmp), named so that a
// directory listing is first-in, first-out. A runner claims an entry by renaming it into
// `claimed/<id>.<runner pid>.json`; rename is atomic, so two `exp run --run-all` at once never run
// one experiment twice. DVC's own queue (Celery, refs/exps/celery/) is separate: each tool runs its
// own.
struct QueuedExperiment {
  std::string id;       // the file's stem
  ExperimentSpec spec;  // name, set_params, baseline and source_tree are always set
};

// Queues an experiment: takes the snapshot start() would take now (HEAD and the workspace's
// changes to tracked files), checks the -S entries against it and picks a name when none is
// given. Throws like start() for bad entries or a name in use. Returns the entry.
QueuedExperiment enqueue(const std::filesystem::path& root, ExperimentSpec spec);

// Entries waiting to run, oldest first.
std::vector<QueuedExperiment> queued(const std::filesystem::path& root);

// Removes the waiting entries (all when `names` is empty); returns those removed. Throws
// Error(kNotFound) naming an unknown name before removing anything.
std::vector<QueuedExperiment> dequeue(const std::filesystem::path& root,
                                      const std::vector<std::string>& names);

// Runs queued experiments, `jobs` at once, until the queue is empty (entries queued meanwhile
// run too). Entries claimed by a runner that is gone (killed, crashed) are queued again first.
// `on_start` and `on_done` are called from worker threads, one call at a time. Once `cancel`
// becomes true, nothing new starts and the running experiments are stopped (KILLED); they go
// back to the queue. Returns the outcomes in the order the experiments ended.
std::vector<ExperimentOutcome> run_queue(
    const ExperimentContext& context, size_t jobs,
    const std::function<void(const QueuedExperiment&)>& on_start,
    const std::function<void(const ExperimentOutcome&)>& on_done,
    const std::atomic<bool>* cancel = nullptr);

}  // namespace plinth::experiments
