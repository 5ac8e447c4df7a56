#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/values.h"

namespace plinth::pipeline {

// An out, metric or plot of a stage (spec dvc-format.md §3.1).
struct StageOut {
  std::string path;  // as written, relative to the stage's wdir
  std::string rel;   // repo-relative, normalised
  enum class Kind { kOut, kMetric, kPlot } kind = Kind::kOut;
  bool cache = true;
  bool persist = false;
  bool push = true;
  Value plot_props = Value::object();  // x, y, template, title, ... (plots only)
};

// Params a stage depends on: keys of one file, or the whole file when `keys` is empty.
struct StageParams {
  std::string file;  // as written, relative to wdir
  std::string rel;   // repo-relative
  std::vector<std::string> keys;
};

// One stage of dvc.yaml after templating, foreach and matrix expansion.
struct Stage {
  std::string name;                   // "train", or "train@lr0.1" for generated stages
  int line = 0;                       // where it is defined in dvc.yaml
  Value cmd;                          // string or list of strings
  std::string wdir;                   // repo-relative directory the command runs in ("" = root)
  std::vector<std::string> deps;      // as written
  std::vector<std::string> dep_rels;  // repo-relative
  std::vector<StageParams> params;
  std::vector<StageOut> outs;  // outs, metrics and plots in that order
  bool frozen = false;
  bool always_changed = false;
  std::string desc;

  std::vector<std::string> commands() const;  // cmd as a list
};

// A top-level `plots:` entry: an id (file path or name) and its properties.
struct PlotDefinition {
  std::string id;
  Value props = Value::object();
};

// Reads a file by repo-relative path; nullopt when it does not exist.
using FileReader = std::function<std::optional<std::string>(const std::string&)>;
// Reads files of the workspace at `root`.
FileReader files_under(const std::filesystem::path& root);

// The pipeline defined by one dvc.yaml.
struct PipelineFile {
  std::vector<Stage> stages;
  std::vector<std::string> metrics;  // top-level `metrics:`, repo-relative
  std::vector<std::string> params;   // top-level `params:`, repo-relative
  std::vector<PlotDefinition> plots;

  const Stage* find(const std::string& name) const;

  // Loads `<root>/dvc.yaml` (empty pipeline when absent) with its params.yaml and vars.
  // Throws Error(kInvalidInput) naming dvc.yaml, the line and the key for unknown keys, wrong
  // types, bad stage names, and undefined `${...}` variables.
  static PipelineFile load(const std::filesystem::path& root);
  // The same from text; `read_file(rel)` supplies params.yaml and vars files (throws when
  // missing) so old revisions can be loaded from git.
  static PipelineFile parse(const std::string& text, const FileReader& read_file);
};

// What `plinth stage add` writes.
struct NewStage {
  std::string name;
  std::string cmd;
  std::vector<std::string> deps, outs, outs_no_cache, params, metrics, metrics_no_cache, plots;
  std::string wdir;
  bool force = false;  // replace a stage of the same name
};

// Adds (or with `force`, replaces) a stage in `<root>/dvc.yaml`, in DVC's layout and order,
// keeping the rest of the file's text. Throws Error(kInvalidInput) for a bad name, a duplicate
// without force, or when the resulting pipeline does not load.
void add_stage(const std::filesystem::path& root, const NewStage& stage);

}  // namespace plinth::pipeline
