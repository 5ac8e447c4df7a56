// `plinth stage add`: writes a stage into dvc.yaml as `dvc stage add` does.
#include <algorithm>
#include <map>
#include <regex>

#include "core/error.h"
#include "core/file_io.h"
#include "pipeline/dvc_yaml.h"
#include "repo/yaml_scalar.h"

namespace plinth::pipeline {
namespace fs = std::filesystem;

namespace {

void append_list(std::string& out, const std::string& key, std::vector<std::string> items) {
  if (items.empty()) return;
  std::sort(items.begin(), items.end());
  out += "    " + key + ":\n";
  for (const auto& i : items) out += "    - " + repo::yaml_scalar(i, 6, 6) + "\n";
}

// outs/metrics/plots: plain paths, and `path: {cache: false}` entries, sorted by path.
void append_outs(std::string& out, const std::string& key, const std::vector<std::string>& cached,
                 const std::vector<std::string>& uncached) {
  std::vector<std::pair<std::string, bool>> all;
  for (const auto& p : cached) all.emplace_back(p, true);
  for (const auto& p : uncached) all.emplace_back(p, false);
  if (all.empty()) return;
  std::sort(all.begin(), all.end());
  out += "    " + key + ":\n";
  for (const auto& [path, cache] : all) {
    out += "    - " + (cache ? repo::yaml_scalar(path, 6, 6) + "\n"
                             : repo::yaml_key(path) + ":\n        cache: false\n");
  }
}

// -p values: "a,b" keys of params.yaml, "file.yaml:a,b" keys of another file, "file.yaml:"
// the whole file. Written params.yaml keys first, then one entry per other file by name.
void append_params(std::string& out, const std::vector<std::string>& specs) {
  std::vector<std::string> defaults;
  std::map<std::string, std::vector<std::string>> files;
  for (const auto& spec : specs) {
    std::string file = "params.yaml", keys = spec;
    if (auto colon = spec.find(':'); colon != std::string::npos) {
      file = spec.substr(0, colon);
      keys = spec.substr(colon + 1);
    }
    auto& into = file == "params.yaml" ? defaults : files[file];
    size_t pos = 0;
    while (pos < keys.size()) {
      size_t comma = keys.find(',', pos);
      if (comma == std::string::npos) comma = keys.size();
      if (comma > pos) into.push_back(keys.substr(pos, comma - pos));
      pos = comma + 1;
    }
  }
  if (defaults.empty() && files.empty()) return;
  std::sort(defaults.begin(), defaults.end());
  out += "    params:\n";
  for (const auto& k : defaults) out += "    - " + repo::yaml_scalar(k, 6, 6) + "\n";
  for (auto& [file, keys] : files) {
    std::sort(keys.begin(), keys.end());
    out += "    - " + repo::yaml_key(file) + ":";
    if (keys.empty()) {
      out += "\n";
      continue;
    }
    out += "\n";
    for (const auto& k : keys) out += "      - " + repo::yaml_scalar(k, 8, 8) + "\n";
  }
}

std::string stage_text(const NewStage& s) {
  // Values continue at column 6, under the stage's keys + 2.
  std::string out =
      "  " + repo::yaml_key(s.name) + ":\n    cmd: " + repo::yaml_scalar(s.cmd, 9, 6) + "\n";
  if (!s.wdir.empty() && s.wdir != ".")
    out += "    wdir: " + repo::yaml_scalar(s.wdir, 10, 6) + "\n";
  append_list(out, "deps", s.deps);
  append_params(out, s.params);
  append_outs(out, "outs", s.outs, s.outs_no_cache);
  append_outs(out, "metrics", s.metrics, s.metrics_no_cache);
  append_outs(out, "plots", s.plots, {});
  return out;
}

// Line ranges of the top-level keys of a YAML text: (key, first line, end line).
struct Block {
  std::string key;
  size_t begin, end;
};
std::vector<Block> top_level_blocks(const std::vector<std::string>& lines) {
  std::vector<Block> blocks;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.empty() || l[0] == ' ' || l[0] == '#' || l[0] == '-') continue;
    if (!blocks.empty()) blocks.back().end = i;
    blocks.push_back({l.substr(0, l.find(':')), i, lines.size()});
  }
  return blocks;
}

}  // namespace

void add_stage(const fs::path& root, const NewStage& stage) {
  static const std::regex kName("^[A-Za-z0-9_-]+$");
  if (!std::regex_match(stage.name, kName))
    throw Error(ErrorCode::kInvalidInput,
                "stage name '" + stage.name + "' may only have letters, digits, '_' and '-'");
  if (stage.cmd.empty())
    throw Error(ErrorCode::kInvalidInput, "give the stage's command after its options");
  fs::path file = root / "dvc.yaml";
  std::string text = fs::exists(file) ? core::read_file(file) : "";
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  std::string entry = stage_text(stage);
  std::vector<std::string> entry_lines;
  for (size_t p = 0; p < entry.size();) {
    size_t nl = entry.find('\n', p);
    entry_lines.push_back(entry.substr(p, nl - p));
    p = nl + 1;
  }
  std::vector<Block> blocks = top_level_blocks(lines);
  auto stages =
      std::find_if(blocks.begin(), blocks.end(), [](const Block& b) { return b.key == "stages"; });
  if (stages == blocks.end()) {
    lines.push_back("stages:");
    lines.insert(lines.end(), entry_lines.begin(), entry_lines.end());
  } else {
    // Find the stage's own lines ("  name:" up to the next 2-space key) if it exists.
    size_t at = stages->end, existing_end = 0;
    bool exists = false;
    for (size_t i = stages->begin + 1; i < stages->end; ++i) {
      const std::string& l = lines[i];
      bool key_line = l.size() > 2 && l.compare(0, 2, "  ") == 0 && l[2] != ' ' && l[2] != '#';
      if (exists && key_line) {
        existing_end = i;
        break;
      }
      if (key_line && l.substr(2, l.find(':') - 2) == stage.name) {
        exists = true;
        at = i;
        existing_end = stages->end;
      }
    }
    if (exists && !stage.force)
      throw Error(ErrorCode::kInvalidInput, "dvc.yaml:" + std::to_string(at + 1) + ": stage '" +
                                                stage.name +
                                                "' already exists; use --force to replace it");
    if (exists) {
      while (existing_end > at + 1 && lines[existing_end - 1].empty()) --existing_end;
      lines.erase(lines.begin() + at, lines.begin() + existing_end);
    }
    while (!exists && at > stages->begin + 1 && lines[at - 1].empty()) --at;
    lines.insert(lines.begin() + at, entry_lines.begin(), entry_lines.end());
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  // The result must load (duplicate outputs, cycles are checked by repro and dag).
  PipelineFile::parse(out, files_under(root));
  core::write_file_atomic(file, out);
}

}  // namespace plinth::pipeline
