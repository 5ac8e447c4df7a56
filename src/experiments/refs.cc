#include "experiments/refs.h"

#include <git2.h>

#include <algorithm>

#include "core/error.h"
#include "core/file_io.h"
#include "experiments/internal/git_repo.h"
#include "pipeline/repro.h"
#include "repo/workspace.h"

namespace plinth::experiments {
namespace fs = std::filesystem;
using internal::GitRepo;

namespace {

constexpr const char* kPrefix = "refs/exps/";

// Parses refs/exps/ab/cdef…/name; false for the executor's and queue's refs (exec/, celery/).
bool parse_ref(const std::string& ref, ExperimentRef& out) {
  if (!ref.starts_with(kPrefix)) return false;
  std::string rest = ref.substr(std::string(kPrefix).size());
  size_t a = rest.find('/');
  if (a != 2) return false;
  size_t b = rest.find('/', a + 1);
  if (b == std::string::npos || b - a - 1 != 38) return false;
  std::string name = rest.substr(b + 1);
  if (name.empty() || name.find('/') != std::string::npos) return false;
  out.baseline = rest.substr(0, 2) + rest.substr(a + 1, 38);
  out.name = name;
  out.ref = ref;
  return std::all_of(out.baseline.begin(), out.baseline.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::vector<ExperimentRef> list_in(GitRepo& git, const std::string& baseline) {
  std::string glob = baseline.empty() ? std::string(kPrefix) + "*" : experiment_ref(baseline, "*");
  std::vector<ExperimentRef> out;
  for (const auto& [ref, sha] : git.refs(glob)) {
    ExperimentRef e;
    if (!parse_ref(ref, e)) continue;
    e.commit = sha;
    e.time = git.commit_time(sha);
    out.push_back(std::move(e));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.time < b.time; });
  return out;
}

std::string names_of(const std::vector<ExperimentRef>& exps) {
  std::string names;
  for (const auto& e : exps) names += (names.empty() ? "" : ", ") + e.name;
  return names.empty() ? "none" : names;
}

ExperimentRef find_in(GitRepo& git, const std::string& name_or_rev) {
  std::string head;
  try {
    head = git.head_commit();
  } catch (const Error&) {
  }
  auto all = list_in(git, "");
  if (name_or_rev.starts_with(kPrefix))
    for (const auto& e : all)
      if (e.ref == name_or_rev) return e;
  std::vector<ExperimentRef> named;
  for (const auto& e : all)
    if (e.name == name_or_rev) named.push_back(e);
  for (const auto& e : named)
    if (e.baseline == head) return e;
  if (named.size() == 1) return named[0];
  if (named.size() > 1)
    throw Error(ErrorCode::kInvalidInput,
                "experiment name '" + name_or_rev +
                    "' is used on several baselines: name it by its full ref, e.g. '" +
                    named[0].ref + "'");
  if (name_or_rev.size() >= 7 && std::all_of(name_or_rev.begin(), name_or_rev.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c));
      }))
    for (const auto& e : all)
      if (e.commit.starts_with(name_or_rev)) return e;
  std::vector<ExperimentRef> of_head;
  for (const auto& e : all)
    if (e.baseline == head) of_head.push_back(e);
  throw Error(ErrorCode::kNotFound, "no experiment named '" + name_or_rev +
                                        "' (experiments of HEAD: " + names_of(of_head) +
                                        "); see 'plinth exp show'");
}

}  // namespace

std::string experiment_ref(const std::string& baseline, const std::string& name) {
  return std::string(kPrefix) + baseline.substr(0, 2) + "/" + baseline.substr(2) + "/" + name;
}

void check_experiment_name(const std::string& name) {
  int valid = 0;
  std::string ref = "refs/exps/00/" + std::string(38, '0') + "/" + name;
  git_libgit2_init();
  git_reference_name_is_valid(&valid, ref.c_str());
  git_libgit2_shutdown();
  if (name.empty() || !valid || name.find('/') != std::string::npos || name.starts_with("-"))
    throw Error(ErrorCode::kInvalidInput,
                "'" + name +
                    "' cannot name an experiment: use letters, digits, '-', '_' and '.' (no "
                    "spaces, '/', '..', '~', '^', ':', '?', '*', '[' or '\\')");
}

std::vector<ExperimentRef> list_experiments(const fs::path& root, const std::string& baseline) {
  GitRepo git(root);
  return list_in(git, baseline);
}

ExperimentRef find_experiment(const fs::path& root, const std::string& name_or_rev) {
  GitRepo git(root);
  return find_in(git, name_or_rev);
}

std::vector<ExperimentRef> remove_experiments(const fs::path& root,
                                              const std::vector<std::string>& names) {
  GitRepo git(root);
  std::vector<ExperimentRef> found;
  for (const auto& n : names) found.push_back(find_in(git, n));
  for (const auto& e : found) git.delete_ref(e.ref);
  return found;
}

void branch_experiment(const fs::path& root, const std::string& name, const std::string& branch) {
  GitRepo git(root);
  ExperimentRef e = find_in(git, name);
  int valid = 0;
  std::string ref = "refs/heads/" + branch;
  git_reference_name_is_valid(&valid, ref.c_str());
  if (!valid || branch.empty())
    throw Error(ErrorCode::kInvalidInput, "'" + branch + "' is not a valid git branch name");
  if (!git.create_ref(ref, e.commit))
    throw Error(ErrorCode::kConflict, "git branch '" + branch +
                                          "' already exists: choose another name or delete it "
                                          "with 'git branch -D " +
                                          branch + "'");
}

ExperimentRef apply_experiment(const fs::path& root, const std::string& name) {
  GitRepo git(root);
  ExperimentRef e = find_in(git, name);
  std::string head_tree = git.commit_tree(git.head_commit());
  for (const auto& [rel, content] : git.changed_files(head_tree, git.commit_tree(e.commit))) {
    fs::path path = root / rel;
    if (!content) {
      fs::remove(path);
      continue;
    }
    fs::create_directories(path.parent_path());
    core::write_file_atomic(path, *content);
  }
  repo::Workspace ws = repo::Workspace::open(root);
  repo::CheckoutSummary summary;
  if (!ws.pointers().empty()) ws.checkout({}, {true, 0});
  pipeline::checkout_outputs(ws, true, summary);
  return e;
}

}  // namespace plinth::experiments
