#include "pipeline/repro.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.h"
#include "core/file_io.h"
#include "pipeline/dag.h"
#include "pipeline/internal/shell.h"
#include "pipeline/internal/stage_state.h"
#include "pipeline/run_cache.h"
#include "repo/repo_lock.h"

extern char** environ;

namespace plinth::pipeline {
namespace fs = std::filesystem;

namespace {

std::string quoted_cmds(const Stage& stage) {
  std::string out;
  for (const auto& c : stage.commands()) out += (out.empty() ? "> " : "\n> ") + c;
  return out;
}

// Hashes the outputs of `stage` into `lock` (storing cached ones, and all with `store_all`),
// adding .gitignore entries. `missing` is the error for an absent output, %s its path.
void record_outputs(repo::Workspace& ws, const Stage& stage, StageLock& lock, bool store_all,
                    const std::string& missing) {
  for (const auto& o : stage.outs) {
    repo::Snapshot snap = ws.snapshot(o.rel, o.cache || store_all, "Saving " + o.rel);
    if (!snap.exists) {
      std::string why = missing;
      why.replace(why.find("%s"), 2, o.path);
      throw Error(ErrorCode::kInvalidInput, "stage '" + stage.address + "': " + why);
    }
    for (auto& p : lock.outs)
      if (p.path == o.path) {
        p = LockedPath{o.path, snap.md5, snap.size, std::nullopt, !snap.is_dir && snap.isexec,
                       false};
        if (snap.is_dir) p.nfiles = snap.nfiles;
      }
    if (o.cache) ws.ignore_output(o.rel);
  }
}

class Reproducer {
 public:
  Reproducer(repo::Workspace& ws, const ReproOptions& options)
      : ws_(ws),
        options_(options),
        pipeline_(Pipeline::load(ws.root())),
        dag_(pipeline_),
        locks_(ws.root()),
        run_cache_(ws.cache().root()) {}

  ReproResult run();

 private:
  enum class Outcome { kRan, kRestored, kUnchanged };
  void validate(const std::vector<size_t>& plan);
  Outcome process(const Stage& stage);
  bool restore(const Stage& stage, const StageLock& now);
  void execute(const Stage& stage, const std::string& prefix);
  void record(const Stage& stage, const StageLock& lock, bool save_run);
  void say(const std::string& line) {
    std::lock_guard<std::mutex> g(print_mutex_);
    options_.print(line);
  }

  repo::Workspace& ws_;
  const ReproOptions& options_;
  Pipeline pipeline_;
  Dag dag_;
  LockFiles locks_;
  RunCache run_cache_;
  bool lock_changed_ = false;
  std::once_flag first_change_;
  std::map<std::string, int> exit_codes_;  // of stages whose command failed
  std::mutex state_mutex_;  // the workspace, its stat cache, locks_, lock_changed_, exit_codes_
  std::mutex print_mutex_;
};

void Reproducer::validate(const std::vector<size_t>& plan) {
  // Deps and params that no stage produces must exist before anything runs.
  std::set<std::string> produced;
  for (size_t i = 0; i < dag_.size(); ++i)
    for (const auto& o : dag_.stage(i).outs) produced.insert(o.rel);
  auto is_produced = [&](const std::string& rel) {
    return std::any_of(produced.begin(), produced.end(),
                       [&](const std::string& out) { return paths_overlap(rel, out); });
  };
  // A stage must not write what a .dvc file tracks: they would fight over the same path.
  for (const auto& pointer : ws_.pointers())
    for (size_t k = 0; k < pointer.file.outs.size(); ++k)
      for (const auto& out : produced)
        if (paths_overlap(pointer.out_rel(k), out))
          throw Error(ErrorCode::kInvalidInput, "dvc.yaml: output '" + out + "' overlaps '" +
                                                    pointer.out_rel(k) + "', which " + pointer.rel +
                                                    " tracks; remove one of them ('plinth remove " +
                                                    pointer.rel + "')");
  for (size_t i : plan) {
    const Stage& s = dag_.stage(i);
    for (size_t d = 0; d < s.deps.size(); ++d)
      if (!is_produced(s.dep_rels[d]) && !fs::exists(ws_.root() / s.dep_rels[d]))
        throw Error(ErrorCode::kNotFound,
                    (s.dir.empty() ? "" : s.dir + "/") + "dvc.yaml:" + std::to_string(s.line) +
                        ": stage '" + s.name + "': dependency '" + s.deps[d] +
                        "' does not exist and no stage produces it; create it, or fix the path");
    for (const auto& p : s.params)
      if (!is_produced(p.rel)) param_values(ws_, s, p, true);
  }
}

bool Reproducer::restore(const Stage& stage, const StageLock& now) {
  if (!restorable(stage)) return false;
  // The lock entry itself is a candidate when only outputs changed; then run-cache entries.
  std::vector<StageLock> candidates;
  if (const StageLock* locked = locks_.of(stage).find(stage.name);
      locked && run_cache_key(*locked) == run_cache_key(now))
    candidates.push_back(*locked);
  if (run_cache_allowed(stage))
    for (auto& entry : run_cache_.lookup(now)) candidates.push_back(std::move(entry));
  for (const auto& entry : candidates) {
    bool complete = entry.outs.size() == stage.outs.size();
    for (const auto& o : stage.outs) {
      const LockedPath* locked = find_path(entry.outs, o.path);
      repo::Output out = to_output(locked, o);
      out.cache = true;  // restoring needs every object, cached or not
      complete = complete && locked && !locked->md5.empty() &&
                 ws_.output_state(o.rel, out) != "not in cache";
    }
    if (!complete) continue;
    for (const auto& o : stage.outs) {
      repo::Output out = to_output(find_path(entry.outs, o.path), o);
      if (ws_.output_state(o.rel, out).empty()) continue;
      ws_.restore_output(o.rel, out);
      if (o.cache) ws_.ignore_output(o.rel);
    }
    say("Stage '" + stage.address + "' is cached - skipping run, checking out outputs");
    StageLock lock = now;
    lock.outs = entry.outs;
    record(stage, lock, false);
    return true;
  }
  return false;
}

void Reproducer::record(const Stage& stage, const StageLock& lock, bool save_run) {
  ws_.cache().sync();
  LockFile& lock_file = locks_.of(stage);
  const StageLock* before = lock_file.find(stage.name);
  if (!before || before->serialize(0) != lock.serialize(0)) {
    lock_file.set(stage.name, lock);
    say("Updating lock file '" + LockFiles::name_of(stage) + "'");
    locks_.write(stage);
    lock_changed_ = true;
  }
  if (save_run && run_cache_allowed(stage)) run_cache_.save(lock);
}

void Reproducer::execute(const Stage& stage, const std::string& prefix) {
  for (const auto& o : stage.outs)
    if (!o.persist) fs::remove_all(ws_.root() / o.rel);
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (!std::string_view(*e).starts_with("DVC_ROOT=") &&
        !std::string_view(*e).starts_with("DVC_STAGE="))
      env.emplace_back(*e);
  env.push_back("DVC_ROOT=" + ws_.root().string());
  env.push_back("DVC_STAGE=" + stage.address);
  fs::path cwd = stage.wdir.empty() ? ws_.root() : ws_.root() / stage.wdir;
  for (const auto& cmd : stage.commands()) {
    int rc = run_shell_command(cmd, cwd, env, prefix, [this](const std::string& l) { say(l); });
    if (rc != 0) {
      {
        std::lock_guard<std::mutex> g(state_mutex_);
        exit_codes_[stage.address] = rc;
      }
      throw Error(ErrorCode::kInvalidInput, "stage '" + stage.address + "': command '" + cmd +
                                                "' failed with exit code " + std::to_string(rc));
    }
  }
}

Reproducer::Outcome Reproducer::process(const Stage& stage) {
  StageLock now;
  {
    std::lock_guard<std::mutex> g(state_mutex_);
    const StageLock* locked = locks_.of(stage).find(stage.name);
    Value changes = stage_changes(ws_, stage, locked);
    if (changes.empty() && !options_.force) {
      say("Stage '" + stage.address + "' didn't change, skipping");
      return Outcome::kUnchanged;
    }
    if (!options_.dry && options_.before_first_change)
      std::call_once(first_change_, options_.before_first_change);
    now = build_lock(ws_, stage, locked, true);
    if (!options_.force && !options_.dry && restore(stage, now)) return Outcome::kRestored;
    for (const auto& d : now.deps)
      if (d.md5.empty())
        throw Error(ErrorCode::kNotFound, "stage '" + stage.address + "': dependency '" + d.path +
                                              "' does not exist; check the stages before it");
  }
  say("Running stage '" + stage.address + "':\n" + quoted_cmds(stage));
  if (options_.dry) return Outcome::kRan;
  execute(stage, options_.jobs > 1 ? "[" + stage.address + "] " : "");
  std::lock_guard<std::mutex> g(state_mutex_);
  record_outputs(ws_, stage, now, run_cache_allowed(stage),
                 "the command finished but did not create '%s'; make the command write it, or "
                 "remove it from the stage");
  record(stage, now, true);
  return Outcome::kRan;
}

ReproResult Reproducer::run() {
  std::vector<size_t> plan = dag_.plan(options_.targets, options_.single, options_.downstream);
  validate(plan);
  std::map<size_t, size_t> position;  // stage index → place in plan
  for (size_t k = 0; k < plan.size(); ++k) position[plan[k]] = k;
  std::vector<size_t> waiting(dag_.size(), 0);
  std::set<size_t> ready;  // plan positions, run in plan order
  for (size_t k = 0; k < plan.size(); ++k) {
    for (size_t u : dag_.upstream(plan[k]))
      if (position.count(u) && !options_.single) ++waiting[plan[k]];
    if (waiting[plan[k]] == 0) ready.insert(k);
  }
  ReproResult result;
  std::vector<bool> blocked(dag_.size(), false);
  size_t finished = 0;
  std::mutex mutex;
  std::condition_variable cv;
  auto block_downstream = [&](size_t i, auto& self) -> void {
    for (size_t d : dag_.downstream(i))
      if (position.count(d) && !blocked[d]) {
        blocked[d] = true;
        result.not_run.push_back(dag_.stage(d).address);
        ++finished;
        self(d, self);
      }
  };
  auto worker = [&] {
    std::unique_lock<std::mutex> lk(mutex);
    while (true) {
      cv.wait(lk, [&] { return !ready.empty() || finished == plan.size(); });
      if (ready.empty()) return;
      size_t i = plan[*ready.begin()];
      ready.erase(ready.begin());
      lk.unlock();
      std::optional<Outcome> outcome;
      std::string error;
      try {
        outcome = process(dag_.stage(i));
      } catch (const Error& e) {
        error = e.what();
      } catch (const std::exception& e) {  // e.g. filesystem errors while hashing outputs
        error = e.what();
      }
      lk.lock();
      if (!outcome) result.errors.push_back(error);
      ++finished;
      if (!outcome) {
        result.failed.push_back(dag_.stage(i).address);
        block_downstream(i, block_downstream);
      } else {
        (*outcome == Outcome::kRan        ? result.ran
         : *outcome == Outcome::kRestored ? result.restored
                                          : result.unchanged)
            .push_back(dag_.stage(i).address);
        for (size_t d : dag_.downstream(i))
          if (position.count(d) && !blocked[d] && --waiting[d] == 0) ready.insert(position[d]);
      }
      cv.notify_all();
    }
  };
  size_t threads = std::max<size_t>(1, std::min(options_.jobs, plan.size()));
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  result.lock_changed = lock_changed_;
  result.exit_codes = exit_codes_;
  return result;
}

}  // namespace

std::vector<StageStatus> pipeline_status(repo::Workspace& ws,
                                         const std::vector<std::string>& targets) {
  Pipeline pipeline = Pipeline::load(ws.root());
  Dag dag(pipeline);
  LockFiles locks(ws.root());
  std::vector<size_t> chosen;
  for (const auto& t : targets) chosen.push_back(dag.index_of(t));
  std::vector<StageStatus> out;
  for (size_t i = 0; i < dag.size(); ++i) {
    if (!targets.empty() && std::find(chosen.begin(), chosen.end(), i) == chosen.end()) continue;
    const Stage& s = dag.stage(i);
    Value changes = stage_changes(ws, s, locks.of(s).find(s.name));
    if (!changes.empty()) out.push_back({s.address, changes});
  }
  return out;
}

std::vector<std::string> commit_stages(repo::Workspace& ws,
                                       const std::vector<std::string>& targets) {
  repo::RepoLock repo_lock(ws.dvc_dir());
  Pipeline pipeline = Pipeline::load(ws.root());
  Dag dag(pipeline);
  LockFiles locks(ws.root());
  std::vector<const Stage*> changed;
  std::vector<StageLock> runs;  // run-cache entries to save, as dvc commit saves them
  for (size_t i : dag.plan(targets, true, false)) {
    const Stage& stage = dag.stage(i);
    LockFile& lock = locks.of(stage);
    StageLock now = build_lock(ws, stage, lock.find(stage.name), true);
    for (const auto& d : now.deps)
      if (d.md5.empty())
        throw Error(ErrorCode::kNotFound, "stage '" + stage.address + "': dependency '" + d.path +
                                              "' does not exist, so there is nothing to record");
    record_outputs(ws, stage, now, run_cache_allowed(stage),
                   "output '%s' does not exist; run 'plinth repro' to create it");
    if (run_cache_allowed(stage)) runs.push_back(now);
    const StageLock* before = lock.find(stage.name);
    if (before && before->serialize(0) == now.serialize(0)) continue;
    lock.set(stage.name, now);
    changed.push_back(&stage);
  }
  // Every stage was checked before any dvc.lock is written; objects before what names them.
  if (!changed.empty() || !runs.empty()) ws.cache().sync();
  RunCache run_cache(ws.cache().root());
  for (const auto& run : runs) run_cache.save(run);
  std::vector<std::string> names;
  for (const Stage* stage : changed) {
    locks.write(*stage);
    names.push_back(stage->address);
  }
  return names;
}

ReproResult repro(repo::Workspace& ws, const ReproOptions& options) {
  repo::RepoLock lock(ws.dvc_dir());
  Reproducer reproducer(ws, options);
  return reproducer.run();
}

}  // namespace plinth::pipeline
