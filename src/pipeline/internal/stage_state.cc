#include "pipeline/internal/stage_state.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/file_io.h"

namespace plinth::pipeline {
namespace fs = std::filesystem;

namespace {

std::vector<const StageParams*> params_in_lock_order(const Stage& stage) {
  std::vector<const StageParams*> out;
  for (const auto& p : stage.params) out.push_back(&p);
  std::sort(out.begin(), out.end(), [](const StageParams* a, const StageParams* b) {
    if ((a->file == "params.yaml") != (b->file == "params.yaml")) return a->file == "params.yaml";
    return a->file < b->file;
  });
  return out;
}

}  // namespace

Value param_values(repo::Workspace& ws, const Stage& stage, const StageParams& p, bool strict) {
  fs::path file = ws.root() / p.rel;
  Value all;
  if (fs::exists(file)) {
    all = parse_structured(core::read_file(file), p.rel);
  } else if (strict) {
    throw Error(ErrorCode::kNotFound,
                "stage '" + stage.address + "': params file '" + p.rel +
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
                  "stage '" + stage.address + "': param '" + k + "' is not in " + p.rel +
                      "; add it there or remove it from the stage's params in dvc.yaml");
  }
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
  if (always_changes(stage)) changes.push_back("always changed");
  if (lock && lock->cmd != stage.cmd) changes.push_back("changed command");
  return changes;
}

bool always_changes(const Stage& stage) {
  return stage.always_changed || (stage.deps.empty() && stage.params.empty() && stage.outs.empty());
}

bool restorable(const Stage& stage) {
  if (always_changes(stage) || (stage.deps.empty() && stage.params.empty()) || stage.outs.empty())
    return false;
  return std::none_of(stage.outs.begin(), stage.outs.end(),
                      [](const StageOut& o) { return o.persist; });
}

bool run_cache_allowed(const Stage& stage) {
  return restorable(stage) &&
         std::none_of(stage.outs.begin(), stage.outs.end(),
                      [](const StageOut& o) { return !o.cache && o.kind == StageOut::Kind::kOut; });
}

LockFile& LockFiles::of(const Stage& stage) {
  auto it = files_.find(stage.dir);
  if (it == files_.end())
    it = files_.emplace(stage.dir, LockFile::load(Pipeline::lock_path(root_, stage))).first;
  return it->second;
}

std::string LockFiles::name_of(const Stage& stage) {
  return stage.dir.empty() ? "dvc.lock" : stage.dir + "/dvc.lock";
}

void LockFiles::write(const Stage& stage) {
  core::write_file_atomic(Pipeline::lock_path(root_, stage), of(stage).serialize());
}

}  // namespace plinth::pipeline
