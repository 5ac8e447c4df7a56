#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace plinth::experiments {

// `exp show --json` exactly as DVC 3.67 prints it: a list of the workspace, then the HEAD
// baseline with its experiments (each {"rev", "name", "data": {"rev", "timestamp", "params",
// "metrics", "deps", "outs", "meta"}, "error", "experiments"}). Experiments of HEAD are
// listed newest first, whoever ran them (Plinth or DVC). Keys keep DVC's order (file order).
nlohmann::ordered_json show_json(const std::filesystem::path& root);

struct ShowOptions {
  std::string sort_by;      // a metric or param column ("acc", "train.lr", "file:key")
  bool descending = false;  // --sort-order desc
  int precision = 5;        // digits after the point in the table (CSV keeps full values)
};

// DVC's table (Experiment, Created, metrics, params, deps; experiments as a tree under their
// baseline), every column shown. Throws Error(kInvalidInput) when sort_by names no column.
std::string show_table(const nlohmann::ordered_json& shown, const ShowOptions& options);
// DVC's --csv: Experiment,rev,typ,Created,parent, then the same columns, full values; lines
// end in CRLF as Python's csv module ends them.
std::string show_csv(const nlohmann::ordered_json& shown, const ShowOptions& options);

}  // namespace plinth::experiments
