#include "pipeline/repro.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

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
#include "pipeline/run_cache.h"
#include "repo/repo_lock.h"

extern char** environ;

namespace plinth::pipeline {
namespace fs = std::filesystem;

namespace {

// Values of a stage's params from one file: the requested keys (dotted, sorted), or the whole
// file's top level. Missing keys are left out, or with `strict` reported as an Error.
Value param_values(repo::Workspace& ws, const Stage& stage, const StageParams& p, bool strict) {
  fs::path file = ws.root() / p.rel;
  Value all;
  if (fs::exists(file)) {
    all = parse_structured(core::read_file(file), p.rel);
  } else if (strict) {
    throw Error(ErrorCode::kNotFound,
                "stage '" + stage.name + "': params file '" + p.rel +
                    "' does not exist; create it or remove it from the stage's params");
  }
  Value out = Value::object();
  if (p.keys.empty()) {
    if (all.is_object()) {
      std::vector<std::string> keys;
      for (auto it = all.begin(); it != all.end(); ++it) keys.push_back(it.key());
      std::sort(keys.begin(), keys.end());
      for (const auto& k : keys) out[k] = all[k];
    }
    return out;
  }
  std::vector<std::string> keys = p.keys;
  std::sort(keys.begin(), keys.end());
  for (const auto& k : keys) {
    auto v = all.is_null() ? std::nullopt : lookup_dotted(all, k);
    if (v)
      out[k] = *v;
    else if (strict)
      throw Error(ErrorCode::kInvalidInput,
                  "stage '" + stage.name + "': param '" + k + "' is not in " + p.rel +
                      "; add it there or remove it from the stage's params in dvc.yaml");
  }
  return out;
}

std::vector<const StageParams*> params_in_lock_order(const Stage& stage) {
  std::vector<const StageParams*> out;
  for (const auto& p : stage.params) out.push_back(&p);
  std::sort(out.begin(), out.end(), [](const StageParams* a, const StageParams* b) {
    if ((a->file == "params.yaml") != (b->file == "params.yaml")) return a->file == "params.yaml";
    return a->file < b->file;
  });
  return out;
}

const LockedPath* find_path(const std::vector<LockedPath>& paths, const std::string& path) {
  for (const auto& p : paths)
    if (p.path == path) return &p;
  return nullptr;
}

repo::Output to_output(const LockedPath* locked, const StageOut& out) {
  repo::Output o;
  o.path = out.path;
  o.cache = out.cache;
  if (locked) {
    o.md5 = locked->md5;
    o.size = locked->size;
    o.nfiles = locked->nfiles;
    o.isexec = locked->isexec;
    o.legacy = locked->legacy;
  }
  return o;
}

StageLock build_lock(repo::Workspace& ws, const Stage& stage, const StageLock* lock, bool strict) {
  StageLock now;
  now.cmd = stage.cmd;
  std::vector<size_t> order(stage.deps.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return stage.deps[a] < stage.deps[b]; });
  for (size_t i : order) {
    repo::Snapshot snap = ws.snapshot(stage.dep_rels[i]);
    LockedPath p{stage.deps[i], snap.md5, std::nullopt, std::nullopt, false, false};
    if (snap.exists) p.size = snap.size;
    if (snap.is_dir) p.nfiles = snap.nfiles;
    now.deps.push_back(std::move(p));
  }
  for (const StageParams* p : params_in_lock_order(stage))
    now.params.emplace_back(p->file, param_values(ws, stage, *p, strict));
  std::vector<const StageOut*> outs;
  for (const auto& o : stage.outs) outs.push_back(&o);
  std::sort(outs.begin(), outs.end(),
            [](const StageOut* a, const StageOut* b) { return a->path < b->path; });
  for (const StageOut* o : outs) {
    const LockedPath* locked = lock ? find_path(lock->outs, o->path) : nullptr;
    now.outs.push_back(locked ? *locked : LockedPath{o->path, "", {}, {}, false, false});
  }
  return now;
}

Value stage_changes(repo::Workspace& ws, const Stage& stage, const StageLock* lock) {
  StageLock now = build_lock(ws, stage, lock, false);
  Value changes = Value::array();
  if (!stage.frozen) {
    Value deps = Value::object();
    for (const auto& d : now.deps) {
      const LockedPath* old = lock ? find_path(lock->deps, d.path) : nullptr;
      if (d.md5.empty())
        deps[d.path] = "deleted";
      else if (!old || old->md5.empty())
        deps[d.path] = "new";
      else if (old->md5 != d.md5)
        deps[d.path] = "modified";
    }
    for (const auto& [file, values] : now.params) {
      Value old = Value::object();
      if (lock)
        for (const auto& [f, v] : lock->params)
          if (f == file) old = v;
      Value keys = Value::object();
      std::set<std::string> names;
      for (const StageParams* p : params_in_lock_order(stage))
        if (p->file == file) names.insert(p->keys.begin(), p->keys.end());
      if (names.empty())  // whole file: every key either side
        for (const Value* side : std::initializer_list<const Value*>{&values, &old})
          for (auto it = side->begin(); it != side->end(); ++it) names.insert(it.key());
      for (const auto& k : names) {
        bool have = values.contains(k), had = old.contains(k);
        if (!have)
          keys[k] = "deleted";
        else if (!had)
          keys[k] = "new";
        else if (values[k] != old[k])
          keys[k] = "modified";
      }
      if (!keys.empty()) deps[file] = keys;
    }
    if (!deps.empty()) changes.push_back({{"changed deps", deps}});
  }
  Value outs = Value::object();
  for (const auto& o : stage.outs) {
    const LockedPath* locked = lock ? find_path(lock->outs, o.path) : nullptr;
    std::string state = ws.output_state(o.rel, to_output(locked, o));
    if (!state.empty()) outs[o.path] = state;
  }
  if (!outs.empty()) changes.push_back({{"changed outs", outs}});
  if (stage.always_changed || stage.deps.empty()) changes.push_back("always changed");
  if (lock && lock->cmd != stage.cmd) changes.push_back("changed command");
  return changes;
}

// Runs `cmd` with the user's shell in `cwd`. With a `prefix`, output is captured and printed
// line by line behind it (parallel runs); otherwise the command shares our terminal.
int run_command(const std::string& cmd, const fs::path& cwd, const std::vector<std::string>& env,
                const std::string& prefix, const std::function<void(const std::string&)>& print) {
  const char* shell_env = std::getenv("SHELL");
  std::string shell = shell_env && *shell_env ? shell_env : "/bin/sh";
  std::vector<std::string> args = {shell};
  if (shell.ends_with("/bash")) args.insert(args.end(), {"--noprofile", "--norc"});
  if (shell.ends_with("/zsh")) args.push_back("--no-rcs");
  args.insert(args.end(), {"-c", cmd});
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  int fds[2] = {-1, -1};
  if (!prefix.empty() && ::pipe2(fds, O_CLOEXEC) != 0) throw system_error("pipe", cmd, errno);
  pid_t pid = ::fork();
  if (pid < 0) throw system_error("fork for", cmd, errno);
  if (pid == 0) {
    if (fds[1] >= 0) {
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
    }
    if (::chdir(cwd.c_str()) != 0) _exit(127);
    ::execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  if (fds[1] >= 0) {
    ::close(fds[1]);
    std::string pending;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) != 0) {
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      pending.append(buf, n);
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        print(prefix + pending.substr(0, nl));
        pending.erase(0, nl + 1);
      }
    }
    if (!pending.empty()) print(prefix + pending);
    ::close(fds[0]);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

std::string quoted_cmds(const Stage& stage) {
  std::string out;
  for (const auto& c : stage.commands()) out += (out.empty() ? "> " : "\n> ") + c;
  return out;
}

// A run-cache entry may be saved and used for a stage (spec dvc-format.md §3.5).
bool run_cache_allowed(const Stage& stage) {
  if (stage.deps.empty() || stage.outs.empty() || stage.always_changed) return false;
  return std::none_of(stage.outs.begin(), stage.outs.end(), [](const StageOut& o) {
    return o.persist || (!o.cache && o.kind == StageOut::Kind::kOut);
  });
}

// Hashes the outputs of `stage` into `lock` (storing cached ones, and all with `store_all`),
// adding .gitignore entries. `missing` is the error for an absent output, %s its path.
void record_outputs(repo::Workspace& ws, const Stage& stage, StageLock& lock, bool store_all,
                    const std::string& missing) {
  for (const auto& o : stage.outs) {
    repo::Snapshot snap = ws.snapshot(o.rel, o.cache || store_all);
    if (!snap.exists) {
      std::string why = missing;
      why.replace(why.find("%s"), 2, o.path);
      throw Error(ErrorCode::kInvalidInput, "stage '" + stage.name + "': " + why);
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
        pipeline_(PipelineFile::load(ws.root())),
        dag_(pipeline_),
        lock_path_(ws.root() / "dvc.lock"),
        lock_(LockFile::load(lock_path_)),
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
  PipelineFile pipeline_;
  Dag dag_;
  fs::path lock_path_;
  LockFile lock_;
  RunCache run_cache_;
  bool lock_changed_ = false;
  std::mutex state_mutex_;  // the workspace, its stat cache, lock_ and lock_changed_
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
  for (size_t i : plan) {
    const Stage& s = dag_.stage(i);
    for (size_t d = 0; d < s.deps.size(); ++d)
      if (!is_produced(s.dep_rels[d]) && !fs::exists(ws_.root() / s.dep_rels[d]))
        throw Error(ErrorCode::kNotFound,
                    "dvc.yaml:" + std::to_string(s.line) + ": stage '" + s.name +
                        "': dependency '" + s.deps[d] +
                        "' does not exist and no stage produces it; create it, or fix the path");
    for (const auto& p : s.params)
      if (!is_produced(p.rel)) param_values(ws_, s, p, true);
  }
}

bool Reproducer::restore(const Stage& stage, const StageLock& now) {
  if (stage.always_changed || stage.deps.empty()) return false;  // these run every time
  // The lock entry itself is a candidate when only outputs changed; then run-cache entries.
  std::vector<StageLock> candidates;
  if (const StageLock* locked = lock_.find(stage.name);
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
    say("Stage '" + stage.name + "' is cached - skipping run, checking out outputs");
    StageLock lock = now;
    lock.outs = entry.outs;
    record(stage, lock, false);
    return true;
  }
  return false;
}

void Reproducer::record(const Stage& stage, const StageLock& lock, bool save_run) {
  ws_.cache().sync();
  const StageLock* before = lock_.find(stage.name);
  if (!before || before->serialize(0) != lock.serialize(0)) {
    lock_.set(stage.name, lock);
    say("Updating lock file 'dvc.lock'");
    core::write_file_atomic(lock_path_, lock_.serialize());
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
  env.push_back("DVC_STAGE=" + stage.name);
  fs::path cwd = stage.wdir.empty() ? ws_.root() : ws_.root() / stage.wdir;
  for (const auto& cmd : stage.commands()) {
    int rc = run_command(cmd, cwd, env, prefix, [this](const std::string& l) { say(l); });
    if (rc != 0)
      throw Error(ErrorCode::kInvalidInput, "stage '" + stage.name + "': command '" + cmd +
                                                "' failed with exit code " + std::to_string(rc));
  }
}

Reproducer::Outcome Reproducer::process(const Stage& stage) {
  StageLock now;
  {
    std::lock_guard<std::mutex> g(state_mutex_);
    const StageLock* locked = lock_.find(stage.name);
    Value changes = stage_changes(ws_, stage, locked);
    if (changes.empty() && !options_.force) {
      say("Stage '" + stage.name + "' didn't change, skipping");
      return Outcome::kUnchanged;
    }
    now = build_lock(ws_, stage, locked, true);
    if (!options_.force && !options_.dry && restore(stage, now)) return Outcome::kRestored;
    for (const auto& d : now.deps)
      if (d.md5.empty())
        throw Error(ErrorCode::kNotFound, "stage '" + stage.name + "': dependency '" + d.path +
                                              "' does not exist; check the stages before it");
  }
  say("Running stage '" + stage.name + "':\n" + quoted_cmds(stage));
  if (options_.dry) return Outcome::kRan;
  execute(stage, options_.jobs > 1 ? "[" + stage.name + "] " : "");
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
        result.not_run.push_back(dag_.stage(d).name);
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
        result.failed.push_back(dag_.stage(i).name);
        block_downstream(i, block_downstream);
      } else {
        (*outcome == Outcome::kRan        ? result.ran
         : *outcome == Outcome::kRestored ? result.restored
                                          : result.unchanged)
            .push_back(dag_.stage(i).name);
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
  return result;
}

}  // namespace

StageLock current_lock(repo::Workspace& ws, const Stage& stage, const StageLock* lock) {
  return build_lock(ws, stage, lock, true);
}

std::vector<StageStatus> pipeline_status(repo::Workspace& ws,
                                         const std::vector<std::string>& targets) {
  PipelineFile pipeline = PipelineFile::load(ws.root());
  Dag dag(pipeline);
  LockFile lock = LockFile::load(ws.root() / "dvc.lock");
  std::vector<size_t> chosen;
  for (const auto& t : targets) chosen.push_back(dag.index_of(t));
  std::vector<StageStatus> out;
  for (size_t i = 0; i < dag.size(); ++i) {
    if (!targets.empty() && std::find(chosen.begin(), chosen.end(), i) == chosen.end()) continue;
    const Stage& s = dag.stage(i);
    Value changes = stage_changes(ws, s, lock.find(s.name));
    if (!changes.empty()) out.push_back({s.name, changes});
  }
  return out;
}

std::vector<std::string> commit_stages(repo::Workspace& ws,
                                       const std::vector<std::string>& targets) {
  repo::RepoLock repo_lock(ws.dvc_dir());
  PipelineFile pipeline = PipelineFile::load(ws.root());
  Dag dag(pipeline);
  fs::path lock_path = ws.root() / "dvc.lock";
  LockFile lock = LockFile::load(lock_path);
  std::vector<std::string> changed;
  for (size_t i : dag.plan(targets, true, false)) {
    const Stage& stage = dag.stage(i);
    StageLock now = build_lock(ws, stage, lock.find(stage.name), true);
    for (const auto& d : now.deps)
      if (d.md5.empty())
        throw Error(ErrorCode::kNotFound, "stage '" + stage.name + "': dependency '" + d.path +
                                              "' does not exist, so there is nothing to record");
    record_outputs(ws, stage, now, false,
                   "output '%s' does not exist; run 'plinth repro' to create it");
    const StageLock* before = lock.find(stage.name);
    if (before && before->serialize(0) == now.serialize(0)) continue;
    lock.set(stage.name, now);
    changed.push_back(stage.name);
  }
  if (!changed.empty()) {
    ws.cache().sync();
    core::write_file_atomic(lock_path, lock.serialize());
  }
  return changed;
}

ReproResult repro(repo::Workspace& ws, const ReproOptions& options) {
  repo::RepoLock lock(ws.dvc_dir());
  Reproducer reproducer(ws, options);
  return reproducer.run();
}

}  // namespace plinth::pipeline
