#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "pipeline/dvc_yaml.h"
#include "pipeline/lock_file.h"
#include "repo/workspace.h"

namespace plinth::pipeline {

// How a stage differs from its dvc.lock entry, in DVC's `status --json` shape: a list of
// {"changed deps": {path: status}}, {"changed outs": {path: status}}, "always changed" and
// "changed command" (spec dvc-format.md §5.1). Empty when the stage is up to date.
struct StageStatus {
  std::string stage;
  Value changes = Value::array();
};

// Stages of `<root>/dvc.yaml` that changed (all stages when `targets` is empty), in dvc.yaml
// order. Hashes come through the workspace's stat cache, so unchanged files are not re-read.
std::vector<StageStatus> pipeline_status(repo::Workspace& ws,
                                         const std::vector<std::string>& targets);

struct ReproOptions {
  std::vector<std::string> targets;  // stage names; empty: every stage
  bool force = false;                // run even unchanged stages, without the run-cache
  bool single = false;               // only the targets, not their upstream
  bool downstream = false;           // the targets and what depends on them
  bool dry = false;                  // print what would run, change nothing
  size_t jobs = 1;                   // stages run at once; >1 prefixes output with the name
  // Where progress lines and (with jobs > 1) the commands' output go.
  std::function<void(const std::string&)> print;
  // Called once, before the first changed stage is restored or run (never in dry mode): where
  // a tracked run starts, so a repro that changes nothing records none. If it throws, that
  // stage fails with its message.
  std::function<void()> before_first_change;
};

struct ReproResult {
  std::vector<std::string> ran, restored, unchanged, failed, not_run;
  std::vector<std::string> errors;  // why each failed stage failed, for stderr
  // The exit code of each failed stage whose command ran and exited non-zero, by address.
  std::map<std::string, int> exit_codes;
  bool lock_changed = false;  // dvc.lock was rewritten
};

// Brings the stages up to date (spec dvc-format.md §3.4–3.6): each stage is checked when it is
// reached; a changed stage's outputs are restored from the cache or run-cache when the same
// command ran on the same deps and params before, otherwise its command runs. After each stage
// its outputs go to the cache, its entry to dvc.lock (written atomically) and the run-cache.
// Invalid pipelines (unknown keys, cycles, overlapping outputs, missing deps or params) are
// rejected before anything runs. A failing command stops the stages downstream of it; the
// others finish. Throws Error(kInvalidInput/kNotFound) for bad pipelines; a failed stage is
// reported in `failed` and `errors`.
ReproResult repro(repo::Workspace& ws, const ReproOptions& options);

// `plinth commit` for pipelines: records the current deps, params and outputs of `targets`
// (stage names; all stages when empty) in dvc.lock without running them, storing the outputs
// in the cache. Returns the stages whose entries changed. Throws Error naming the stage when
// an output, dep or param is missing; dvc.lock is then left as it was.
std::vector<std::string> commit_stages(repo::Workspace& ws,
                                       const std::vector<std::string>& targets);

// The outputs dvc.lock records, whose cache objects `gc` must keep.
std::vector<repo::Output> locked_outputs(const std::filesystem::path& root);

// The cached outputs every dvc.lock records, as one pointer file ("dvc.lock") with
// repo-relative output paths, for push, fetch, pull and status --cloud. Empty when there are
// none (no dvc.yaml, or nothing run yet).
std::vector<repo::TrackedPointer> lock_pointers(const std::filesystem::path& root);

// `plinth checkout` for pipelines: makes the cached outputs of the stages in dvc.yaml match
// their dvc.lock entries, from the cache. Throws before changing anything when an object is
// missing from the cache, or (without `force`) when an output holds changes the cache does
// not have. Adds to `summary` one per output checked out. After a pull (`after_pull`), an
// output marked `push: false` that is not in the cache is skipped with a warning instead: no
// remote has it by design.
void checkout_outputs(repo::Workspace& ws, bool force, repo::CheckoutSummary& summary,
                      bool after_pull = false);

}  // namespace plinth::pipeline
