#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/dvc_yaml.h"
#include "pipeline/lock_file.h"
#include "pipeline/values.h"

namespace plinth::pipeline {

// Where params and metrics are read from: the workspace, or a git revision (files git does not
// hold, such as cached metrics, come from the cache through that revision's dvc.lock).
struct Revision {
  std::string name;  // "workspace", or the git revision as the user wrote it
  bool workspace = true;
};

// The pipeline's files as they are at one revision.
class RevisionView {
 public:
  // Throws Error(kNotFound) for a git revision that does not resolve.
  RevisionView(const std::filesystem::path& root, const Revision& rev);

  const PipelineFile& pipeline() const { return pipeline_; }
  // A file's text at the revision, or nullopt.
  std::optional<std::string> read(const std::string& rel) const { return read_(rel); }
  // An output's text: the file itself, else its cache object named by dvc.lock.
  std::optional<std::string> read_output(const std::string& rel) const;

 private:
  std::filesystem::path root_;
  FileReader read_;
  PipelineFile pipeline_;
  LockFile lock_;
};

// file → {flattened key ("a.b.c") → value}, files sorted by path.
using FlatValues = std::map<std::string, std::map<std::string, Value>>;

// Metrics of the pipeline at `rev`: metrics outputs of stages plus top-level `metrics:`.
FlatValues collect_metrics(const std::filesystem::path& root, const Revision& rev);
// Params at `rev`: every key of params.yaml, the tracked keys of other params files (whole
// files where a stage tracks a whole file) and top-level `params:` files.
FlatValues collect_params(const std::filesystem::path& root, const Revision& rev);

// DVC's tables (spec dvc-format.md §5.3): tabulate "plain" layout, cells left-aligned, 2-space
// gaps, no trailing spaces; floats rounded to `precision` decimals where `round` is set.
std::string metrics_show_table(const FlatValues& metrics, int precision);
// `metrics diff` (with_change) and `params diff` tables; unchanged rows only with `all`.
std::string diff_table(const FlatValues& a, const FlatValues& b, const std::string& a_name,
                       const std::string& b_name, const std::string& key_title, bool with_change,
                       bool all, int precision);
// {file: {key: {"old", "new"[, "diff"]}}} for --json.
Value diff_json(const FlatValues& a, const FlatValues& b, bool with_change, bool all);

}  // namespace plinth::pipeline
