#include "pipeline/compare.h"

#include <cmath>
#include <set>

#include "core/error.h"
#include "core/file_io.h"
#include "pipeline/dvc_yaml.h"
#include "pipeline/lock_file.h"
#include "repo/cache.h"
#include "repo/git_tree.h"
#include "repo/workspace.h"

namespace plinth::pipeline {
namespace fs = std::filesystem;

namespace {

// A reader of repo-relative files at a revision.
FileReader reader_for(const fs::path& root, const Revision& rev) {
  if (rev.workspace) return files_under(root);
  auto git = std::make_shared<repo::GitTree>(root);
  std::string name = rev.name;
  return [git, name](const std::string& rel) -> std::optional<std::string> {
    for (auto& [path, text] : git->files_ending_with(name, rel))
      if (path == rel) return text;
    return std::nullopt;
  };
}

void flatten(const Value& v, const std::string& prefix, std::map<std::string, Value>& out) {
  if (v.is_object() && !v.empty()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      flatten(*it, prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  } else if (!prefix.empty()) {
    out[prefix] = v;
  }
}

std::string cell(const Value& v, int precision, bool round) {
  if (v.is_number_float() && round) {
    double scale = std::pow(10.0, precision);
    return python_float_repr(std::round(v.get<double>() * scale) / scale);
  }
  return python_str(v);
}

std::string render(const std::vector<std::string>& header,
                   const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size() + 2;
    for (const auto& r : rows) width[c] = std::max(width[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      std::string padded = cells[c];
      padded.resize(width[c], ' ');
      out += (c ? "  " : "") + padded;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& r : rows) out += line(r);
  return out;
}

struct DiffRow {
  std::string file, key;
  std::optional<Value> old_value, new_value;
};

std::vector<DiffRow> diff_rows(const FlatValues& a, const FlatValues& b, bool all) {
  std::set<std::string> files;
  for (const auto& [f, _] : a) files.insert(f);
  for (const auto& [f, _] : b) files.insert(f);
  std::vector<DiffRow> rows;
  for (const auto& f : files) {
    static const std::map<std::string, Value> kEmpty;
    const auto& av = a.count(f) ? a.at(f) : kEmpty;
    const auto& bv = b.count(f) ? b.at(f) : kEmpty;
    std::set<std::string> keys;
    for (const auto& [k, _] : av) keys.insert(k);
    for (const auto& [k, _] : bv) keys.insert(k);
    for (const auto& k : keys) {
      DiffRow row{f, k, {}, {}};
      if (av.count(k)) row.old_value = av.at(k);
      if (bv.count(k)) row.new_value = bv.at(k);
      if (!all && row.old_value == row.new_value) continue;
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

std::optional<Value> change_of(const DiffRow& r) {
  if (!r.old_value || !r.new_value || !r.old_value->is_number() || !r.new_value->is_number() ||
      r.old_value->is_boolean() || r.new_value->is_boolean())
    return std::nullopt;
  if (r.old_value->is_number_integer() && r.new_value->is_number_integer())
    return r.new_value->get<int64_t>() - r.old_value->get<int64_t>();
  return r.new_value->get<double>() - r.old_value->get<double>();
}

}  // namespace

RevisionView::RevisionView(const fs::path& root, const Revision& rev)
    : root_(root), read_(reader_for(root, rev)) {
  if (auto text = read_("dvc.yaml")) pipeline_ = PipelineFile::parse(*text, read_);
  if (auto text = read_("dvc.lock")) lock_ = LockFile::parse(*text, "dvc.lock");
}

std::optional<std::string> RevisionView::read_output(const std::string& rel) const {
  if (auto text = read_(rel)) return text;
  for (const auto& stage : pipeline_.stages)
    for (const auto& out : stage.outs) {
      if (out.rel != rel) continue;
      const StageLock* lock = lock_.find(stage.name);
      if (!lock) return std::nullopt;
      for (const auto& o : lock->outs)
        if (o.path == out.path && !o.md5.empty()) {
          fs::path object = repo::Workspace::open(root_).cache().object_path(o.md5);
          if (fs::exists(object)) return core::read_file(object);
        }
    }
  return std::nullopt;
}

FlatValues collect_metrics(const fs::path& root, const Revision& rev) {
  RevisionView view(root, rev);
  std::set<std::string> files(view.pipeline().metrics.begin(), view.pipeline().metrics.end());
  for (const auto& stage : view.pipeline().stages)
    for (const auto& out : stage.outs)
      if (out.kind == StageOut::Kind::kMetric) files.insert(out.rel);
  FlatValues result;
  for (const auto& f : files) {
    auto text = view.read_output(f);
    if (!text) continue;
    flatten(parse_structured(*text, f), "", result[f]);
  }
  return result;
}

FlatValues collect_params(const fs::path& root, const Revision& rev) {
  RevisionView view(root, rev);
  std::map<std::string, std::set<std::string>> keys;  // file → keys; empty set = whole file
  std::set<std::string> whole = {"params.yaml"};
  whole.insert(view.pipeline().params.begin(), view.pipeline().params.end());
  for (const auto& stage : view.pipeline().stages)
    for (const auto& p : stage.params) {
      if (p.keys.empty()) whole.insert(p.rel);
      keys[p.rel].insert(p.keys.begin(), p.keys.end());
    }
  for (const auto& f : whole) keys[f].clear();
  FlatValues result;
  for (const auto& [file, wanted] : keys) {
    auto text = view.read(file);
    if (!text) continue;
    Value all = parse_structured(*text, file);
    auto& into = result[file];
    if (!whole.count(file)) {
      for (const auto& k : wanted)
        if (auto v = lookup_dotted(all, k)) flatten(*v, k, into);
    } else {
      flatten(all, "", into);
    }
  }
  return result;
}

std::string metrics_show_table(const FlatValues& metrics, int precision) {
  std::set<std::string> keys;
  for (const auto& [f, values] : metrics)
    for (const auto& [k, _] : values) keys.insert(k);
  std::vector<std::string> header = {"Path"};
  header.insert(header.end(), keys.begin(), keys.end());
  std::vector<std::vector<std::string>> rows;
  for (const auto& [f, values] : metrics) {
    std::vector<std::string> row = {f};
    for (const auto& k : keys)
      row.push_back(values.count(k) ? cell(values.at(k), precision, true) : "-");
    rows.push_back(row);
  }
  return render(header, rows);
}

std::string diff_table(const FlatValues& a, const FlatValues& b, const std::string& a_name,
                       const std::string& b_name, const std::string& key_title, bool with_change,
                       bool all, int precision) {
  std::vector<std::string> header = {"Path", key_title, a_name, b_name};
  if (with_change) header.push_back("Change");
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : diff_rows(a, b, all)) {
    std::vector<std::string> row = {r.file, r.key,
                                    r.old_value ? cell(*r.old_value, precision, with_change) : "-",
                                    r.new_value ? cell(*r.new_value, precision, with_change) : "-"};
    if (with_change) {
      auto change = change_of(r);
      row.push_back(change ? cell(*change, precision, true) : "-");
    }
    rows.push_back(row);
  }
  if (rows.empty()) return "";
  return render(header, rows);
}

Value diff_json(const FlatValues& a, const FlatValues& b, bool with_change, bool all) {
  Value out = Value::object();
  for (const auto& r : diff_rows(a, b, all)) {
    Value entry = Value::object();
    entry["old"] = r.old_value ? *r.old_value : Value(nullptr);
    entry["new"] = r.new_value ? *r.new_value : Value(nullptr);
    if (with_change)
      if (auto change = change_of(r)) entry["diff"] = *change;
    out[r.file][r.key] = entry;
  }
  return out;
}

}  // namespace plinth::pipeline
