#include "experiments/show.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <set>

#include "core/error.h"
#include "experiments/internal/git_repo.h"
#include "experiments/internal/run_record.h"
#include "experiments/refs.h"
#include "pipeline/compare.h"

namespace plinth::experiments {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

// DVC prints commit times as naive local ISO timestamps.
std::string iso_local(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

json lock_paths(const pipeline::RevisionView& view, bool outs) {
  json out = json::object();
  auto text = view.read("dvc.lock");
  if (!text) return out;
  std::set<std::string> plain_outs;  // outputs that are neither metrics nor plots
  for (const auto& stage : view.pipeline().stages)
    for (const auto& o : stage.outs)
      if (o.kind == pipeline::StageOut::Kind::kOut) plain_outs.insert(o.rel);
  pipeline::LockFile lock = pipeline::LockFile::parse(*text, "dvc.lock");
  for (const auto& [stage, sl] : lock.stages())
    for (const auto& p : outs ? sl.outs : sl.deps) {
      if (outs && !plain_outs.count(p.path)) continue;
      json entry = {{"hash", p.md5.empty() ? json(nullptr) : json(p.md5)},
                    {"size", p.size ? json(*p.size) : json(nullptr)},
                    {"nfiles", p.nfiles ? json(*p.nfiles) : json(nullptr)}};
      if (outs) {
        entry["use_cache"] = true;
        entry["is_data_source"] = false;
      }
      out[p.path] = entry;
    }
  return out;
}

// `data`'s keys in the order `file` has them (DVC keeps file order; the collectors sort).
json in_file_order(const json& data, const json& file) {
  if (!data.is_object() || !file.is_object()) return data;
  json out = json::object();
  for (auto it = file.begin(); it != file.end(); ++it)
    if (data.contains(it.key())) out[it.key()] = in_file_order(data[it.key()], it.value());
  for (auto it = data.begin(); it != data.end(); ++it)
    if (!out.contains(it.key())) out[it.key()] = it.value();
  return out;
}

json ordered(json files, const pipeline::RevisionView& view) {
  for (auto it = files.begin(); it != files.end(); ++it) {
    auto text = view.read_output(it.key());
    if (!text) continue;
    try {
      json raw = pipeline::parse_structured(*text, it.key());
      it.value()["data"] = in_file_order(it.value()["data"], raw);
    } catch (const Error&) {
    }
  }
  return files;
}

json rev_data(const fs::path& root, const pipeline::Revision& rev, const std::string& label,
              const json& timestamp) {
  pipeline::RevisionView view(root, rev);
  return {{"rev", label},
          {"timestamp", timestamp},
          {"params", ordered(internal::nested(pipeline::collect_params(root, rev)), view)},
          {"metrics", ordered(internal::nested(pipeline::collect_metrics(root, rev)), view)},
          {"deps", lock_paths(view, false)},
          {"outs", lock_paths(view, true)},
          {"meta", json::object()}};
}

json entry(const json& rev, const json& name, json data) {
  return {{"rev", rev},
          {"name", name},
          {"data", std::move(data)},
          {"error", nullptr},
          {"experiments", nullptr}};
}

// One table row: what the columns need.
struct Row {
  std::string label, rev, typ, created_iso, created_short;
  json data;
  bool experiment = false;
};

// A column: which section (metrics, params, deps), file and key, and its header.
struct Column {
  std::string section, file, key, header;
};

void leaves(const json& v, const std::string& prefix, std::vector<std::string>& out) {
  if (v.is_object() && !v.empty()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      leaves(*it, prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  } else if (!prefix.empty()) {
    out.push_back(prefix);
  }
}

std::vector<Column> columns(const std::vector<Row>& rows) {
  std::vector<Column> cols;
  for (const char* section : {"metrics", "params"}) {
    std::vector<std::pair<std::string, std::string>> seen;  // (file, key) in first-seen order
    std::map<std::string, std::set<std::string>> files_of;  // key -> files
    for (const auto& r : rows) {
      if (!r.data.contains(section)) continue;
      for (auto f = r.data[section].begin(); f != r.data[section].end(); ++f) {
        std::vector<std::string> keys;
        leaves(f.value()["data"], "", keys);
        for (const auto& k : keys) {
          if (std::find(seen.begin(), seen.end(), std::make_pair(f.key(), k)) == seen.end())
            seen.emplace_back(f.key(), k);
          files_of[k].insert(f.key());
        }
      }
    }
    for (const auto& [file, key] : seen)
      cols.push_back({section, file, key, files_of[key].size() > 1 ? file + ":" + key : key});
  }
  std::vector<std::string> deps;
  for (const auto& r : rows)
    if (r.data.contains("deps"))
      for (auto d = r.data["deps"].begin(); d != r.data["deps"].end(); ++d)
        if (std::find(deps.begin(), deps.end(), d.key()) == deps.end()) deps.push_back(d.key());
  for (const auto& d : deps) cols.push_back({"deps", d, "", d});
  return cols;
}

json value_of(const Row& r, const Column& c) {
  if (c.section == "deps") {
    if (r.data["deps"].contains(c.file)) return r.data["deps"][c.file]["hash"];
    return nullptr;
  }
  if (!r.data[c.section].contains(c.file)) return nullptr;
  const json* at = &r.data[c.section][c.file]["data"];
  size_t start = 0;
  std::string key = c.key;
  for (size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1) {
    std::string part = key.substr(start, dot - start);
    if (!at->is_object() || !at->contains(part)) return nullptr;
    at = &(*at)[part];
  }
  std::string last = key.substr(start);
  if (!at->is_object() || !at->contains(last)) return nullptr;
  return (*at)[last];
}

std::string text_of(const json& v, int precision, bool round) {
  if (v.is_null()) return "";
  pipeline::Value pv = pipeline::Value::parse(v.dump());
  if (round && v.is_number_float()) {
    double scale = std::pow(10.0, precision);
    return pipeline::python_float_repr(std::round(v.get<double>() * scale) / scale);
  }
  return pipeline::python_str(pv);
}

std::vector<Row> rows_of(const json& shown, const ShowOptions& options, std::vector<Column>& cols) {
  std::vector<Row> rows;
  for (const auto& top : shown) {
    Row base;
    base.rev = top["rev"];
    base.label =
        top["name"].is_null() ? top["rev"].get<std::string>() : top["name"].get<std::string>();
    base.typ = "baseline";
    base.data = top["data"];
    if (!base.data["timestamp"].is_null()) base.created_iso = base.data["timestamp"];
    rows.push_back(base);
    if (!top["experiments"].is_array()) continue;
    for (const auto& exp : top["experiments"]) {
      const json& rev = exp["revs"][0];
      Row r;
      r.experiment = true;
      r.rev = rev["rev"].get<std::string>().substr(0, 7);
      r.label = rev["name"];
      r.typ = "branch_commit";
      r.data = rev["data"];
      if (!r.data["timestamp"].is_null()) r.created_iso = r.data["timestamp"];
      rows.push_back(r);
    }
  }
  cols = columns(rows);
  if (!options.sort_by.empty()) {
    auto it = std::find_if(cols.begin(), cols.end(), [&](const Column& c) {
      return c.section != "deps" && (c.header == options.sort_by || c.key == options.sort_by ||
                                     c.file + ":" + c.key == options.sort_by);
    });
    if (it == cols.end()) {
      std::string names;
      for (const auto& c : cols)
        if (c.section != "deps") names += (names.empty() ? "" : ", ") + c.header;
      throw Error(ErrorCode::kInvalidInput, "--sort-by '" + options.sort_by +
                                                "' is not a metric or param; the columns are: " +
                                                (names.empty() ? "none" : names));
    }
    Column col = *it;
    auto less = [&](const Row& a, const Row& b) {
      json va = value_of(a, col), vb = value_of(b, col);
      if (va.is_null() != vb.is_null()) return vb.is_null();  // missing values last
      if (va.is_null()) return false;
      return options.descending ? vb < va : va < vb;
    };
    // Experiments are sorted within their baseline.
    for (size_t i = 0; i < rows.size();) {
      size_t j = i + 1;
      while (j < rows.size() && rows[j].experiment) ++j;
      std::stable_sort(rows.begin() + static_cast<long>(i) + 1, rows.begin() + static_cast<long>(j),
                       less);
      i = j;
    }
  }
  for (size_t i = 0; i < rows.size(); ++i)  // the last of a baseline's experiments
    if (rows[i].experiment && (i + 1 == rows.size() || !rows[i + 1].experiment))
      rows[i].typ = "branch_base";
  return rows;
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// "06:03 AM" for today, else "Dec 05, 2026", as DVC's table shows Created.
std::string created_short(const std::string& iso) {
  if (iso.empty()) return "-";
  std::tm tm{};
  if (!strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return iso;
  std::time_t now = std::time(nullptr);
  std::tm today{};
  localtime_r(&now, &today);
  char day[16], buf[32];
  std::strftime(day, sizeof day, "%Y-%m-%d", &today);
  std::strftime(buf, sizeof buf, iso.starts_with(day) ? "%I:%M %p" : "%b %d, %Y", &tm);
  return buf;
}

size_t width_of(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

json show_json(const fs::path& root) {
  json out = json::array();
  out.push_back(
      entry("workspace", nullptr, rev_data(root, {"workspace", true}, "workspace", nullptr)));
  internal::GitRepo git(root);
  std::optional<std::string> head = git.resolve_commit("HEAD");
  if (!head) return out;
  std::string branch = git.head_branch();
  json base = entry(*head, branch.empty() ? json(*head) : json(branch),
                    rev_data(root, {*head, false}, *head, iso_local(git.commit_time(*head))));
  json exps = json::array();
  auto listed = list_experiments(root, *head);
  // Newest first, as DVC lists them; within one second DVC puts the greater commit id first.
  std::sort(listed.begin(), listed.end(), [](const auto& a, const auto& b) {
    return a.time != b.time ? a.time > b.time : a.commit > b.commit;
  });
  for (const auto& e : listed) {
    json rev =
        entry(e.commit, e.name, rev_data(root, {e.commit, false}, e.commit, iso_local(e.time)));
    exps.push_back({{"revs", json::array({rev})}, {"executor", nullptr}, {"name", e.name}});
  }
  base["experiments"] = exps;
  out.push_back(base);
  return out;
}

std::string show_table(const json& shown, const ShowOptions& options) {
  std::vector<Column> cols;
  std::vector<Row> rows = rows_of(shown, options, cols);
  std::vector<std::string> header = {"Experiment", "Created"};
  for (const auto& c : cols) header.push_back(c.header);
  std::vector<std::vector<std::string>> cells;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    std::string label = r.label;
    if (r.experiment) {
      bool last = i + 1 == rows.size() || !rows[i + 1].experiment;
      label = std::string(last ? "└── " : "├── ") + r.rev + " [" + r.label + "]";
    }
    std::vector<std::string> line = {label, created_short(r.created_iso)};
    for (const auto& c : cols) {
      json v = value_of(r, c);
      std::string text = v.is_null() ? "-" : text_of(v, options.precision, true);
      line.push_back(text);
    }
    cells.push_back(line);
  }
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = width_of(header[c]);
    for (const auto& line : cells) width[c] = std::max(width[c], width_of(line[c]));
  }
  auto render = [&](const std::vector<std::string>& line) {
    std::string out = " ";
    for (size_t c = 0; c < line.size(); ++c)
      out += " " + line[c] + std::string(width[c] - width_of(line[c]) + 2, ' ');
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  size_t total = 1;
  for (size_t w : width) total += w + 3;
  std::string rule = " ";
  for (size_t i = 0; i < total; ++i) rule += "─";
  rule += "\n";
  std::string out = rule + render(header) + rule;
  for (const auto& line : cells) out += render(line);
  return out + rule;
}

std::string show_csv(const json& shown, const ShowOptions& options) {
  std::vector<Column> cols;
  std::vector<Row> rows = rows_of(shown, options, cols);
  std::string out = "Experiment,rev,typ,Created,parent";
  for (const auto& c : cols) out += "," + csv_cell(c.header);
  out += "\r\n";
  for (const auto& r : rows) {
    out += csv_cell(r.experiment ? r.label : "") + "," + csv_cell(r.experiment ? r.rev : r.label) +
           "," + r.typ + "," + r.created_iso + ",";
    for (const auto& c : cols) out += "," + csv_cell(text_of(value_of(r, c), 0, false));
    out += "\r\n";
  }
  return out;
}

}  // namespace plinth::experiments
