// What dvc.lock records about outputs, for gc and checkout.
#include <spdlog/spdlog.h>

#include <string>

#include "core/error.h"
#include "pipeline/internal/stage_state.h"
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
  for (const auto& pf : Pipeline::load(root).files) {
    LockFile file = LockFile::load((pf.dir.empty() ? root : root / pf.dir) / "dvc.lock");
    for (const auto& [name, lock] : file.stages())
      for (const auto& o : lock.outs) outs.push_back(locked_output(o));
  }
  return outs;
}

std::vector<repo::TrackedPointer> lock_pointers(const fs::path& root) {
  // One pointer at the root whose output paths are repo-relative, so that every dvc.lock
  // (sub/dvc.lock too) lands in it with the right paths. Only cached outputs that may be
  // pushed: DVC pushes no `cache: false` or `push: false` output, so a remote it filled lacks
  // them.
  repo::TrackedPointer p;
  p.rel = "dvc.lock";
  p.path = root / "dvc.lock";
  Pipeline pipeline = Pipeline::load(root);
  LockFiles locks(root);
  for (const Stage* stage : pipeline.stages()) {
    const StageLock* locked = locks.of(*stage).find(stage->name);
    if (!locked) continue;
    for (const auto& o : stage->outs) {
      if (!o.cache || !o.push) continue;
      for (const auto& l : locked->outs) {
        if (l.path != o.path || l.md5.empty()) continue;
        repo::Output out = locked_output(l);
        out.path = o.rel;
        p.file.outs.push_back(std::move(out));
      }
    }
  }
  if (p.file.outs.empty()) return {};
  return {std::move(p)};
}

void checkout_outputs(repo::Workspace& ws, bool force, repo::CheckoutSummary& summary,
                      bool after_pull) {
  Pipeline pipeline = Pipeline::load(ws.root());
  LockFiles locks(ws.root());
  std::vector<std::pair<std::string, repo::Output>> todo;  // rel, output
  std::string missing, conflicts;
  for (const Stage* stage_ptr : pipeline.stages()) {
    const Stage& stage = *stage_ptr;
    const StageLock* locked = locks.of(stage).find(stage.name);
    if (!locked) continue;
    for (const auto& o : stage.outs) {
      if (!o.cache) continue;
      for (const auto& l : locked->outs) {
        if (l.path != o.path || l.md5.empty()) continue;
        repo::Output out = locked_output(l);
        std::string state = ws.output_state(o.rel, out);
        if (state.empty()) continue;
        if (state == "not in cache" && after_pull && !o.push) {
          spdlog::warn("{} is not pulled: it is marked push: false; run 'plinth repro' to build it",
                       o.rel);
          continue;
        }
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
