#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/compare.h"

namespace plinth::pipeline {

struct PlotsOptions {
  std::vector<std::string> targets;  // plot ids or files; empty: every plot of the pipeline
  std::vector<Revision> revisions;   // one (show) or several (diff), overlaid in each plot
  std::filesystem::path out_dir;     // index.html goes here
};

// Renders the pipeline's plots (stage `plots` outputs and top-level `plots:` definitions, spec
// dvc-format.md §5.4) into one self-contained `<out_dir>/index.html`: inline SVG, no scripts
// and nothing fetched from the network. Series files (CSV, TSV, JSON, YAML) become line plots
// with one line per revision and y column; plots with the `confusion` template (x: predicted,
// y: actual) become a heatmap per revision. Returns the file written, or nullopt when there
// was nothing to plot. Throws Error(kInvalidInput) naming the file for unreadable data.
std::optional<std::filesystem::path> render_plots(const std::filesystem::path& root,
                                                  const PlotsOptions& options);

}  // namespace plinth::pipeline
