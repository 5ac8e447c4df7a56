#include "pipeline/lock_file.h"

#include <algorithm>

#include "core/error.h"
#include "core/file_io.h"
#include "core/hash.h"
#include "repo/yaml_scalar.h"

namespace plinth::pipeline {
namespace {

Value locked_path_value(const LockedPath& p) {
  Value v = Value::object();
  v["path"] = p.path;
  if (!p.legacy) v["hash"] = "md5";
  if (!p.md5.empty()) v["md5"] = p.md5;
  if (p.size) v["size"] = *p.size;
  if (p.nfiles) v["nfiles"] = *p.nfiles;
  if (p.isexec) v["isexec"] = true;
  return v;
}

LockedPath parse_locked_path(const YAML::Node& node, const std::string& where) {
  auto fail = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidInput, where + ":" + std::to_string(node.Mark().line + 1) +
                                               ": " + why +
                                               "; fix dvc.lock or delete the stage's entry and "
                                               "run 'plinth repro' again");
  };
  if (!node.IsMap()) throw fail("each dep and out must be a mapping with a 'path'");
  LockedPath p;
  p.legacy = true;
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    try {
      if (key == "path")
        p.path = kv.second.as<std::string>();
      else if (key == "md5")
        p.md5 = kv.second.as<std::string>();
      else if (key == "size")
        p.size = kv.second.as<int64_t>();
      else if (key == "nfiles")
        p.nfiles = kv.second.as<int64_t>();
      else if (key == "isexec")
        p.isexec = kv.second.as<bool>();
      else if (key == "hash")
        p.legacy = false;
    } catch (const YAML::Exception&) {
      throw fail("'" + key + "' has the wrong type");
    }
  }
  if (p.path.empty()) throw fail("an entry has no 'path'");
  return p;
}

std::vector<LockedPath> parse_paths(const YAML::Node& node, const std::string& where) {
  std::vector<LockedPath> out;
  if (!node.IsSequence())
    throw Error(ErrorCode::kInvalidInput,
                where + ":" + std::to_string(node.Mark().line + 1) + ": expected a list");
  for (const auto& item : node) out.push_back(parse_locked_path(item, where));
  return out;
}

void append_paths(std::string& out, const std::string& key, const std::vector<LockedPath>& paths,
                  int indent) {
  if (paths.empty()) return;
  Value list = Value::array();
  for (const auto& p : paths) list.push_back(locked_path_value(p));
  out += std::string(indent, ' ') + key + ":" +
         yaml_block_value(list, indent, indent + static_cast<int>(key.size()) + 1);
}

std::string hash_body(Value body) {
  // Drop size and nfiles at every depth (DVC's dict hash with exclusions).
  std::function<void(Value&)> strip = [&](Value& v) {
    if (v.is_object()) {
      v.erase("size");
      v.erase("nfiles");
      for (auto& [k, child] : v.items()) strip(child);
    } else if (v.is_array()) {
      for (auto& child : v) strip(child);
    }
  };
  strip(body);
  return core::sha256_hex(python_json_sorted(body));
}

}  // namespace

Value StageLock::to_value() const {
  Value v = Value::object();
  v["cmd"] = cmd;
  if (!deps.empty()) {
    v["deps"] = Value::array();
    for (const auto& d : deps) v["deps"].push_back(locked_path_value(d));
  }
  if (!params.empty()) {
    v["params"] = Value::object();
    for (const auto& [file, values] : params) v["params"][file] = values;
  }
  if (!outs.empty()) {
    v["outs"] = Value::array();
    for (const auto& o : outs) v["outs"].push_back(locked_path_value(o));
  }
  return v;
}

std::string StageLock::serialize(int indent) const {
  std::string pad(indent, ' ');
  std::string out = pad + "cmd:" + yaml_block_value(cmd, indent, indent + 4);
  append_paths(out, "deps", deps, indent);
  if (!params.empty()) {
    out += pad + "params:\n";
    for (const auto& [file, values] : params) {
      std::string key = repo::yaml_key(file);
      out += pad + "  " + key + ":" +
             yaml_block_value(values, indent + 2, indent + 2 + repo::yaml_width(key) + 1);
    }
  }
  append_paths(out, "outs", outs, indent);
  return out;
}

StageLock StageLock::parse(const YAML::Node& node, const std::string& where) {
  if (!node.IsMap())
    throw Error(ErrorCode::kInvalidInput, where + ":" + std::to_string(node.Mark().line + 1) +
                                              ": a stage's entry must be a mapping");
  StageLock lock;
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (key == "cmd") {
      lock.cmd = yaml_to_value(kv.second);
    } else if (key == "deps") {
      lock.deps = parse_paths(kv.second, where);
    } else if (key == "outs") {
      lock.outs = parse_paths(kv.second, where);
    } else if (key == "params" && kv.second.IsMap()) {
      for (const auto& file : kv.second)
        lock.params.emplace_back(file.first.as<std::string>(), yaml_to_value(file.second));
    }
  }
  return lock;
}

std::string run_cache_value(const StageLock& lock) { return hash_body(lock.to_value()); }

std::string run_cache_key(const StageLock& lock) {
  Value body = lock.to_value();
  if (body.contains("outs")) {
    Value paths = Value::array();
    for (const auto& o : lock.outs) paths.push_back(o.path);
    body["outs"] = paths;
  }
  return hash_body(body);
}

LockFile LockFile::load(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) return {};
  return parse(core::read_file(path), path.filename().string());
}

LockFile LockFile::parse(const std::string& text, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw Error(ErrorCode::kInvalidInput,
                name + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML (" + e.msg +
                    "); fix the file, or delete it and run 'plinth repro' to rebuild it");
  }
  LockFile lock;
  if (root.IsNull()) return lock;
  if (!root.IsMap() || root["schema"].as<std::string>("") != "2.0")
    throw Error(ErrorCode::kInvalidInput,
                name +
                    ": not a DVC 2.0+ lock file (expected \"schema: '2.0'\"); delete it and "
                    "run 'plinth repro' to rebuild it");
  if (root["stages"] && root["stages"].IsMap())
    for (const auto& kv : root["stages"]) {
      std::string stage = kv.first.as<std::string>();
      lock.stages_.emplace_back(stage,
                                StageLock::parse(kv.second, name + " (stage '" + stage + "')"));
    }
  return lock;
}

const StageLock* LockFile::find(const std::string& stage) const {
  for (const auto& [name, lock] : stages_)
    if (name == stage) return &lock;
  return nullptr;
}

void LockFile::set(const std::string& stage, StageLock lock) {
  for (auto& [name, existing] : stages_)
    if (name == stage) {
      existing = std::move(lock);
      return;
    }
  stages_.emplace_back(stage, std::move(lock));
}

std::string LockFile::serialize() const {
  std::string out = "schema: '2.0'\nstages:\n";
  for (const auto& [name, lock] : stages_)
    out += "  " + repo::yaml_key(name) + ":\n" + lock.serialize(4);
  return out;
}

}  // namespace plinth::pipeline
