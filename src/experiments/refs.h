#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace plinth::experiments {

// An experiment as DVC stores it: a commit (parent: the baseline) of the params, dvc.lock and
// the git-tracked metrics, named by the ref refs/exps/<baseline[:2]>/<baseline[2:]>/<name>.
struct ExperimentRef {
  std::string name;
  std::string baseline;  // the baseline commit's sha
  std::string commit;    // the experiment commit's sha
  std::string ref;       // the full ref name
  int64_t time = 0;      // the commit's time, seconds since the epoch
};

// "refs/exps/ab/cdef…/name".
std::string experiment_ref(const std::string& baseline, const std::string& name);

// Throws Error(kInvalidInput) when `name` cannot be an experiment name (a git ref component:
// no spaces, '..', '~', '^', ':', '?', '*', '[', '\', no leading '-' or '.', no '/').
void check_experiment_name(const std::string& name);

// Experiments of every baseline (`baseline` empty) or of one baseline commit, oldest first.
std::vector<ExperimentRef> list_experiments(const std::filesystem::path& root,
                                            const std::string& baseline = "");

// The experiment `name_or_rev` names: an experiment name (those of HEAD's baseline first), a
// full ref or a commit sha (or its prefix). Throws Error(kNotFound) naming it, with the
// experiments of HEAD listed, or Error(kInvalidInput) when a name is ambiguous across
// baselines.
ExperimentRef find_experiment(const std::filesystem::path& root, const std::string& name_or_rev);

// Deletes the refs of the named experiments (all of them are resolved before any is deleted).
// The commits stay in git's object store until git gc, as with `dvc exp remove`.
std::vector<ExperimentRef> remove_experiments(const std::filesystem::path& root,
                                              const std::vector<std::string>& names);

// Creates git branch `branch` at the experiment's commit. Throws Error(kConflict) when the
// branch exists.
void branch_experiment(const std::filesystem::path& root, const std::string& name,
                       const std::string& branch);

// Makes the workspace's git-tracked files what they are in the experiment (HEAD does not move)
// and checks out the pipeline's outputs its dvc.lock names from the cache, as `dvc exp apply`.
ExperimentRef apply_experiment(const std::filesystem::path& root, const std::string& name);

}  // namespace plinth::experiments
