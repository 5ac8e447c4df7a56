// What dvc.lock records about outputs, for gc and checkout.
#include <string>

#include "core/error.h"
#include "pipeline/repro.h"

namespace plinth::pipeline {
namespace fs = std::filesystem;

namespace {

repo::Output locked_output(const LockedPath& o) {
  repo::Output out;
  out.path = o.path;
  out.md5 = o.md5;
  out.size = o.size;
  out.nfiles = o.nfiles;
  out.isexec = o.isexec;
  out.legacy = o.legacy;
  return out;
}

}  // namespace

std::vector<repo::Output> locked_outputs(const fs::path& root) {
  std::vector<repo::Output> outs;
  LockFile file = LockFile::load(root / "dvc.lock");
  for (const auto& [name, lock] : file.stages())
    for (const auto& o : lock.outs) outs.push_back(locked_output(o));
  return outs;
}

void checkout_outputs(repo::Workspace& ws, bool force, repo::CheckoutSummary& summary) {
  PipelineFile pipeline = PipelineFile::load(ws.root());
  LockFile lock = LockFile::load(ws.root() / "dvc.lock");
  std::vector<std::pair<std::string, repo::Output>> todo;  // rel, output
  std::string missing, conflicts;
  for (const auto& stage : pipeline.stages) {
    const StageLock* locked = lock.find(stage.name);
    if (!locked) continue;
    for (const auto& o : stage.outs) {
      if (!o.cache) continue;
      for (const auto& l : locked->outs) {
        if (l.path != o.path || l.md5.empty()) continue;
        repo::Output out = locked_output(l);
        std::string state = ws.output_state(o.rel, out);
        if (state.empty()) continue;
        if (state == "not in cache") {
          missing += "\n  " + o.rel + " (" + l.md5 + ")";
          continue;
        }
        if (state == "modified" && !force) {
          repo::Snapshot now = ws.snapshot(o.rel);
          if (!ws.cache().contains(now.md5)) conflicts += "\n  " + o.rel;
        }
        (state == "deleted" ? summary.added : summary.modified)++;
        todo.emplace_back(o.rel, out);
      }
    }
  }
  if (!missing.empty())
    throw Error(ErrorCode::kNotFound,
                "pipeline outputs are missing from the cache, so nothing was checked out:" +
                    missing + "\nrun 'plinth repro' to rebuild them");
  if (!conflicts.empty())
    throw Error(
        ErrorCode::kConflict,
        "checkout would overwrite pipeline outputs whose content is not in the cache:" + conflicts +
            "\nrun 'plinth repro' to record them in dvc.lock, or 'plinth checkout --force' "
            "to discard them");
  for (const auto& [rel, out] : todo) ws.restore_output(rel, out);
}

}  // namespace plinth::pipeline
