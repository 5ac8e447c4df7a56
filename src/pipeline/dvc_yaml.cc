#include "pipeline/dvc_yaml.h"

#include <algorithm>
#include <regex>
#include <set>

#include "core/error.h"
#include "core/file_io.h"
#include "pipeline/template.h"
#include "repo/ignore.h"
#include "repo/pointer_file.h"

namespace plinth::pipeline {
namespace fs = std::filesystem;

namespace {

const std::set<std::string> kTopKeys = {"stages", "vars",      "params",  "metrics",
                                        "plots",  "artifacts", "datasets"};
const std::set<std::string> kStageKeys = {"cmd",     "wdir",  "deps",   "params",         "outs",
                                          "metrics", "plots", "frozen", "always_changed", "desc",
                                          "meta",    "vars"};
const std::set<std::string> kOutFlags = {"cache", "persist", "remote", "push",
                                         "desc",  "type",    "labels", "meta"};
const std::set<std::string> kPlotFlags = {"x",       "y",      "template", "title",   "x_label",
                                          "y_label", "header", "cache",    "persist", "remote",
                                          "push",    "desc",   "type",     "labels",  "meta"};

std::string at(const YAML::Node& node) {
  return "dvc.yaml:" + std::to_string(node.Mark().line + 1);
}

std::string join_keys(const std::set<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

// Repo-relative, normalised '/'-path of `path` in `wdir`; rejects paths leaving the repository.
std::string repo_rel(const std::string& wdir, const std::string& path, const std::string& where) {
  fs::path joined = fs::path(wdir.empty() ? "." : wdir) / path;
  std::string rel = joined.lexically_normal().generic_string();
  while (rel.size() > 1 && rel.back() == '/') rel.pop_back();
  if (fs::path(path).is_absolute() || rel == ".." || rel.starts_with("../"))
    throw Error(ErrorCode::kInvalidInput,
                where + ": path '" + path + "' is outside the repository; use a path inside it");
  return rel == "." ? "" : rel;
}

std::string expect_string(const Value& v, const std::string& where, const std::string& what) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return python_str(v);
  throw Error(ErrorCode::kInvalidInput, where + ": " + what + " must be a string");
}

bool expect_bool(const Value& v, const std::string& where) {
  if (!v.is_boolean())
    throw Error(ErrorCode::kInvalidInput,
                where + ": expected true or false, found '" + python_str(v) + "'");
  return v.get<bool>();
}

Value as_list(const Value& v, const std::string& where) {
  if (v.is_null()) return Value::array();
  if (!v.is_array()) throw Error(ErrorCode::kInvalidInput, where + ": expected a list");
  return v;
}

void parse_outs(const Value& list, StageOut::Kind kind, const std::string& wdir,
                const std::string& where, Stage& stage) {
  for (const auto& item : as_list(list, where)) {
    StageOut out;
    out.kind = kind;
    Value flags = Value::object();
    if (item.is_object() && item.size() == 1) {
      out.path = item.begin().key();
      flags = item.begin()->is_null() ? Value::object() : *item.begin();
      if (!flags.is_object())
        throw Error(ErrorCode::kInvalidInput,
                    where + ": the options of '" + out.path + "' must be a mapping");
    } else {
      out.path = expect_string(item, where, "each entry");
    }
    const auto& allowed = kind == StageOut::Kind::kPlot ? kPlotFlags : kOutFlags;
    for (auto it = flags.begin(); it != flags.end(); ++it) {
      std::string key = it.key();
      if (!allowed.count(key))
        throw Error(ErrorCode::kInvalidInput, where + ": unknown option '" + key + "' of '" +
                                                  out.path + "'; allowed: " + join_keys(allowed));
      if (key == "cache")
        out.cache = expect_bool(*it, where + " ('" + out.path + "' cache)");
      else if (key == "persist")
        out.persist = expect_bool(*it, where);
      else if (key == "push")
        out.push = expect_bool(*it, where);
      else if (kind == StageOut::Kind::kPlot)
        out.plot_props[key] = *it;
    }
    out.rel = repo_rel(wdir, out.path, where);
    stage.outs.push_back(std::move(out));
  }
}

void parse_params(const Value& list, const std::string& wdir, const std::string& where,
                  Stage& stage) {
  auto group = [&](const std::string& file) -> StageParams& {
    for (auto& p : stage.params)
      if (p.file == file) return p;
    stage.params.push_back({file, repo_rel(wdir, file, where), {}});
    return stage.params.back();
  };
  for (const auto& item : as_list(list, where)) {
    if (item.is_object()) {
      for (auto it = item.begin(); it != item.end(); ++it) {
        StageParams& p = group(it.key());
        for (const auto& key : as_list(*it, where))
          p.keys.push_back(expect_string(key, where, "a param key"));
      }
    } else {
      std::string key = expect_string(item, where, "a param key");
      // "a,b" lists several keys, as `dvc stage add -p a,b` does.
      size_t pos = 0;
      while (pos <= key.size()) {
        size_t comma = key.find(',', pos);
        if (comma == std::string::npos) comma = key.size();
        if (comma > pos) group("params.yaml").keys.push_back(key.substr(pos, comma - pos));
        pos = comma + 1;
      }
    }
  }
}

Stage parse_stage(const std::string& name, const YAML::Node& node, const TemplateContext& ctx_in,
                  int line, const std::string& dir) {
  std::string stage_where = "dvc.yaml:" + std::to_string(line) + ": stage '" + name + "'";
  if (!node.IsMap())
    throw Error(ErrorCode::kInvalidInput, stage_where + " must be a mapping with a 'cmd'");
  TemplateContext ctx = ctx_in;
  if (node["vars"])
    for (const auto& item : node["vars"]) ctx.merge(ctx.resolve(item, at(item)), at(item));
  Stage stage;
  stage.name = name;
  stage.address = dir.empty() ? name : dir + "/dvc.yaml:" + name;
  stage.dir = dir;
  stage.line = line;
  // wdir first: every path is relative to it, and it to the dvc.yaml's directory.
  stage.wdir = dir;
  if (node["wdir"]) {
    std::string where = at(node["wdir"]) + ": stage '" + name + "', key 'wdir'";
    stage.wdir =
        repo_rel(dir, expect_string(ctx.resolve(node["wdir"], where), where, "wdir"), where);
  }
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    std::string where =
        at(kv.second.IsNull() ? kv.first : kv.second) + ": stage '" + name + "', key '" + key + "'";
    if (!kStageKeys.count(key))
      throw Error(ErrorCode::kInvalidInput, at(kv.first) + ": stage '" + name + "': unknown key '" +
                                                key + "'; a stage may have " +
                                                join_keys(kStageKeys));
    if (key == "wdir" || key == "vars" || key == "meta") continue;
    Value v = ctx.resolve(kv.second, where, key == "cmd");
    if (key == "cmd") {
      bool ok = v.is_string() ||
                (v.is_array() && !v.empty() &&
                 std::all_of(v.begin(), v.end(), [](const Value& c) { return c.is_string(); }));
      if (!ok || (v.is_string() && v.get<std::string>().empty()))
        throw Error(ErrorCode::kInvalidInput,
                    where + ": 'cmd' must be a command string or a list of them");
      stage.cmd = v;
    } else if (key == "deps") {
      for (const auto& d : as_list(v, where)) {
        stage.deps.push_back(expect_string(d, where, "each dep"));
        stage.dep_rels.push_back(repo_rel(stage.wdir, stage.deps.back(), where));
      }
    } else if (key == "params") {
      parse_params(v, stage.wdir, where, stage);
    } else if (key == "outs") {
      parse_outs(v, StageOut::Kind::kOut, stage.wdir, where, stage);
    } else if (key == "metrics") {
      parse_outs(v, StageOut::Kind::kMetric, stage.wdir, where, stage);
    } else if (key == "plots") {
      parse_outs(v, StageOut::Kind::kPlot, stage.wdir, where, stage);
    } else if (key == "frozen") {
      stage.frozen = expect_bool(v, where);
    } else if (key == "always_changed") {
      stage.always_changed = expect_bool(v, where);
    } else if (key == "desc") {
      stage.desc = expect_string(v, where, "desc");
    }
  }
  if (stage.cmd.is_null())
    throw Error(ErrorCode::kInvalidInput,
                stage_where + " has no 'cmd'; add the command that produces its outputs");
  return stage;
}

std::string suffix_of(const Value& v) {
  return v.is_string() ? v.get<std::string>() : python_str(v);
}

// Loads a `vars` file entry "file.yaml" or "file.yaml:key1,key2".
Value load_vars_file(const std::string& spec, const FileReader& read_file,
                     const std::string& where) {
  std::string file = spec, keys;
  if (auto colon = spec.find(':'); colon != std::string::npos) {
    file = spec.substr(0, colon);
    keys = spec.substr(colon + 1);
  }
  auto text = read_file(file);
  if (!text)
    throw Error(ErrorCode::kInvalidInput,
                where + ": vars file '" + file + "' does not exist; create it or remove it");
  Value all = parse_structured(*text, file);
  if (keys.empty()) return all;
  Value picked = Value::object();
  size_t pos = 0;
  while (pos <= keys.size()) {
    size_t comma = keys.find(',', pos);
    if (comma == std::string::npos) comma = keys.size();
    std::string key = keys.substr(pos, comma - pos);
    auto v = lookup_dotted(all, key);
    if (!v) throw Error(ErrorCode::kInvalidInput, where + ": '" + key + "' is not in " + file);
    picked[key] = *v;
    pos = comma + 1;
  }
  return picked;
}

void expand_stage(const std::string& name, const YAML::Node& node, const TemplateContext& ctx,
                  const std::string& dir, std::vector<Stage>& out) {
  int line = node.Mark().line + 1;
  if (node.IsMap() && node["foreach"]) {
    std::string where = at(node["foreach"]) + ": stage '" + name + "', key 'foreach'";
    if (!node["do"])
      throw Error(ErrorCode::kInvalidInput, where + ": 'foreach' needs a 'do' stage template");
    Value items = ctx.resolve(node["foreach"], where);
    if (items.is_array()) {
      bool scalars =
          std::all_of(items.begin(), items.end(), [](const Value& v) { return v.is_primitive(); });
      for (size_t i = 0; i < items.size(); ++i) {
        TemplateContext local = ctx;
        local.set_local("item", items[i]);
        std::string suffix = scalars ? suffix_of(items[i]) : std::to_string(i);
        out.push_back(parse_stage(name + "@" + suffix, node["do"], local, line, dir));
      }
    } else if (items.is_object()) {
      for (auto it = items.begin(); it != items.end(); ++it) {
        TemplateContext local = ctx;
        local.set_local("item", *it);
        local.set_local("key", it.key());
        out.push_back(parse_stage(name + "@" + it.key(), node["do"], local, line, dir));
      }
    } else {
      throw Error(ErrorCode::kInvalidInput, where + ": 'foreach' must be a list or a mapping");
    }
    return;
  }
  if (node.IsMap() && node["matrix"]) {
    std::string where = at(node["matrix"]) + ": stage '" + name + "', key 'matrix'";
    std::vector<std::pair<std::string, Value>> axes;
    for (const auto& kv : node["matrix"]) {
      Value values = ctx.resolve(kv.second, where);
      if (!values.is_array() || values.empty())
        throw Error(ErrorCode::kInvalidInput,
                    where + ": '" + kv.first.as<std::string>() + "' must be a non-empty list");
      axes.emplace_back(kv.first.as<std::string>(), values);
    }
    YAML::Node body = YAML::Clone(node);
    body.remove("matrix");
    std::vector<size_t> idx(axes.size(), 0);
    while (true) {
      Value item = Value::object();
      std::string suffix;
      for (size_t a = 0; a < axes.size(); ++a) {
        const Value& v = axes[a].second[idx[a]];
        item[axes[a].first] = v;
        suffix += (a ? "-" : "") +
                  (v.is_primitive() ? suffix_of(v) : axes[a].first + std::to_string(idx[a]));
      }
      TemplateContext local = ctx;
      local.set_local("item", item);
      local.set_local("key", suffix);
      out.push_back(parse_stage(name + "@" + suffix, body, local, line, dir));
      size_t a = axes.size();
      while (a > 0 && ++idx[a - 1] == axes[a - 1].second.size()) idx[--a] = 0;
      if (a == 0) break;
    }
    return;
  }
  out.push_back(parse_stage(name, node, ctx, line, dir));
}

}  // namespace

std::vector<std::string> Stage::commands() const {
  if (cmd.is_string()) return {cmd.get<std::string>()};
  std::vector<std::string> out;
  for (const auto& c : cmd) out.push_back(c.get<std::string>());
  return out;
}

const Stage* PipelineFile::find(const std::string& name) const {
  for (const auto& s : stages)
    if (s.name == name) return &s;
  return nullptr;
}

FileReader files_under(const fs::path& root) {
  return [root](const std::string& rel) -> std::optional<std::string> {
    if (!fs::exists(root / rel)) return std::nullopt;
    return core::read_file(root / rel);
  };
}

PipelineFile PipelineFile::load(const fs::path& root) {
  fs::path file = root / "dvc.yaml";
  if (!fs::exists(file)) return {};
  return parse(core::read_file(file), files_under(root));
}

std::vector<const Stage*> Pipeline::stages() const {
  std::vector<const Stage*> out;
  for (const auto& f : files)
    for (const auto& s : f.stages) out.push_back(&s);
  return out;
}

const Stage* Pipeline::find(const std::string& address) const {
  std::string a = address.starts_with("dvc.yaml:") ? address.substr(9) : address;
  for (const auto& f : files)
    for (const auto& s : f.stages)
      if (s.address == a) return &s;
  return nullptr;
}

fs::path Pipeline::lock_path(const fs::path& root, const Stage& stage) {
  return (stage.dir.empty() ? root : root / stage.dir) / "dvc.lock";
}

Pipeline Pipeline::load(const fs::path& root) {
  Pipeline p;
  p.files.push_back(PipelineFile::load(root));
  // Like DVC (collect_files), the search does not descend into outputs of stages or pointer
  // files: a tracked directory can hold many thousands of files and no dvc.yaml.
  std::set<std::string> outs;
  auto note_outs = [&](const PipelineFile& f) {
    for (const auto& s : f.stages)
      for (const auto& o : s.outs) outs.insert(o.rel);
  };
  note_outs(p.files.front());
  repo::IgnoreRules ignore(root);
  FileReader read = files_under(root);
  std::vector<PipelineFile> found;
  std::vector<std::string> stack = {""};
  while (!stack.empty()) {
    std::string dir = stack.back();
    stack.pop_back();
    if (outs.count(dir)) continue;
    std::vector<std::string> subdirs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir.empty() ? root : root / dir, ec)) {
      std::string name = e.path().filename().string();
      std::string rel = dir.empty() ? name : dir + "/" + name;
      if (e.is_directory(ec) && !e.is_symlink(ec)) {
        if (name != ".git" && name != ".dvc" && !ignore.is_ignored(rel, true))
          subdirs.push_back(rel);
      } else if (name.size() > 4 && name.ends_with(".dvc") && e.is_regular_file(ec)) {
        std::optional<repo::PointerFile> pointer;
        try {
          pointer = repo::PointerFile::load(e.path());
        } catch (const Error&) {
          // Only a hint for the search; the commands that read pointer files report it.
        }
        for (const auto& o : pointer ? pointer->outs : std::vector<repo::Output>{}) {
          std::string out = fs::path(o.path).lexically_normal().generic_string();
          outs.insert(dir.empty() ? out : dir + "/" + out);
        }
      }
    }
    for (auto& sub : subdirs) {
      if (outs.count(sub)) continue;
      if (fs::exists(root / sub / "dvc.yaml")) {
        found.push_back(PipelineFile::parse(*read(sub + "/dvc.yaml"), read, sub));
        note_outs(found.back());
      }
      stack.push_back(std::move(sub));
    }
  }
  std::sort(found.begin(), found.end(),
            [](const PipelineFile& a, const PipelineFile& b) { return a.dir < b.dir; });
  for (auto& f : found) p.files.push_back(std::move(f));
  return p;
}

PipelineFile PipelineFile::parse(const std::string& text, const FileReader& read_file_in,
                                 const std::string& dir) {
  try {
    return parse_in(text, read_file_in, dir);
  } catch (const Error& e) {
    // Messages name "dvc.yaml"; for one in a subdirectory, name that file.
    std::string message = e.what();
    if (dir.empty() || !message.starts_with("dvc.yaml")) throw;
    throw Error(e.code(), dir + "/" + message);
  }
}

PipelineFile PipelineFile::parse_in(const std::string& text, const FileReader& read_file_in,
                                    const std::string& dir) {
  // params.yaml and vars files are next to the dvc.yaml.
  FileReader read_file = [&](const std::string& rel) {
    return read_file_in(dir.empty() ? rel : dir + "/" + rel);
  };
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw Error(ErrorCode::kInvalidInput, "dvc.yaml:" + std::to_string(e.mark.line + 1) +
                                              ": invalid YAML (" + e.msg + "); fix the file");
  }
  PipelineFile pf;
  pf.dir = dir;
  if (root.IsNull()) return pf;
  if (!root.IsMap())
    throw Error(ErrorCode::kInvalidInput, "dvc.yaml: expected a mapping with 'stages'");
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    if (!kTopKeys.count(key))
      throw Error(ErrorCode::kInvalidInput, at(kv.first) + ": unknown top-level key '" + key +
                                                "'; dvc.yaml may have " + join_keys(kTopKeys));
  }
  TemplateContext ctx;
  if (auto params = read_file("params.yaml"))
    ctx.merge(parse_structured(*params, "params.yaml"), "params.yaml");
  if (root["vars"]) {
    if (!root["vars"].IsSequence())
      throw Error(ErrorCode::kInvalidInput, at(root["vars"]) + ": 'vars' must be a list");
    for (const auto& item : root["vars"]) {
      if (item.IsScalar())
        ctx.merge(load_vars_file(item.Scalar(), read_file, at(item)), at(item));
      else
        ctx.merge(yaml_to_value(item), at(item));
    }
  }
  if (const auto& stages = root["stages"]; stages && !stages.IsNull()) {
    if (!stages.IsMap())
      throw Error(ErrorCode::kInvalidInput,
                  at(stages) + ": 'stages' must be a mapping of stage names to stages");
    static const std::regex kName("^[A-Za-z0-9_-]+$");
    std::set<std::string> seen;
    for (const auto& kv : stages) {
      std::string name = kv.first.as<std::string>();
      if (!std::regex_match(name, kName))
        throw Error(ErrorCode::kInvalidInput,
                    at(kv.first) + ": stage name '" + name +
                        "' may only have letters, digits, '_' and '-'; rename it");
      expand_stage(name, kv.second, ctx, dir, pf.stages);
    }
    for (const auto& s : pf.stages)
      if (!seen.insert(s.name).second)
        throw Error(ErrorCode::kInvalidInput, "dvc.yaml:" + std::to_string(s.line) + ": stage '" +
                                                  s.name + "' is defined twice; rename one");
  }
  auto strings = [&](const char* key) {
    std::vector<std::string> out;
    if (!root[key]) return out;
    for (const auto& item : root[key]) {
      if (!item.IsScalar())
        throw Error(ErrorCode::kInvalidInput,
                    at(item) + ": entries of '" + key + "' must be file paths");
      out.push_back(repo_rel(dir, item.Scalar(), at(item)));
    }
    return out;
  };
  pf.metrics = strings("metrics");
  pf.params = strings("params");
  if (const auto& plots = root["plots"]) {
    for (const auto& item : plots) {
      if (item.IsScalar()) {
        pf.plots.push_back({item.Scalar(), Value::object()});
      } else if (item.IsMap()) {
        for (const auto& kv : item) {
          Value props =
              kv.second.IsNull() ? Value::object() : ctx.resolve(kv.second, at(kv.second));
          pf.plots.push_back({kv.first.as<std::string>(), props});
        }
      }
    }
  }
  return pf;
}

}  // namespace plinth::pipeline
