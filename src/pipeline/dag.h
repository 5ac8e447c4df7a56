#pragma once

#include <string>
#include <vector>

#include "pipeline/dvc_yaml.h"

namespace plinth::pipeline {

// The stages of a pipeline and which feed which: an edge runs from stage A to stage B when a
// dep of B equals, contains or lies inside an out of A (spec dvc-format.md §3.4).
class Dag {
 public:
  // Throws Error(kInvalidInput) when two stages declare overlapping outputs, or when the
  // edges form a cycle (the message lists the cycle).
  explicit Dag(const PipelineFile& pipeline);

  size_t size() const { return stages_.size(); }
  const Stage& stage(size_t i) const { return *stages_[i]; }
  const std::vector<size_t>& upstream(size_t i) const { return upstream_[i]; }
  const std::vector<size_t>& downstream(size_t i) const { return downstream_[i]; }
  // Index of a stage by name; throws Error(kNotFound) listing the stages.
  size_t index_of(const std::string& name) const;

  // Stages to run for `targets` (all when empty) in a topological order: each target and,
  // unless `single`, everything upstream of it; with `downstream`, the targets and everything
  // that depends on them instead. Frozen stages do not pull in their upstream.
  std::vector<size_t> plan(const std::vector<std::string>& targets, bool single,
                           bool downstream) const;

  // `plinth dag`: text, Mermaid flowchart or Graphviz dot.
  std::string ascii(const std::vector<size_t>& subset) const;
  std::string mermaid(const std::vector<size_t>& subset) const;
  std::string dot(const std::vector<size_t>& subset) const;

 private:
  std::vector<const Stage*> stages_;
  std::vector<std::vector<size_t>> upstream_, downstream_;
  std::vector<size_t> order_;  // topological, stable by dvc.yaml order
};

// Whether two repo-relative paths are the same or one lies inside the other.
bool paths_overlap(const std::string& a, const std::string& b);

}  // namespace plinth::pipeline
