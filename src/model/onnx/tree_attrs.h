#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "model/onnx/kernel.h"
#include "model/onnx/tree_post.h"
#include "model/tree_engine.h"

// The tree operators' attributes read into a TreeEnsembleSpec, checked at load with errors that
// name the node, the attribute and the offending entry.
namespace plinth::model::onnx::trees {

Error bad(const NodeContext& ctx, const std::string& what);

// A float list attribute or its *_as_tensor twin (float or double), as doubles.
std::vector<double> numbers(const NodeContext& ctx, const Attributes& a, const std::string& name,
                            bool* is_double = nullptr);
Post post_from_name(const NodeContext& ctx, const std::string& s);
TreeEnsembleSpec::Aggregate aggregate_from_name(const NodeContext& ctx, const std::string& s);

// The classic operators' nodes (ml opsets 1-4): parallel nodes_* lists, trees and nodes named
// by ids, a tree's root its first node in list order.
struct ClassicTrees {
  std::vector<TreeEnsembleSpec::Tree> trees;
  std::map<std::pair<int64_t, int64_t>, std::pair<uint32_t, uint32_t>> index;
  bool double_thresholds = false;
};
ClassicTrees classic_trees(const NodeContext& ctx, const Attributes& a);
// Leaf votes (prefix "class" or "target": *_treeids, *_nodeids, *_ids, *_weights).
void add_votes(const NodeContext& ctx, const Attributes& a, const std::string& prefix,
               size_t outputs, ClassicTrees& trees);

// ml opset 5 TreeEnsemble's nodes and leaves (its aggregate_function included).
TreeEnsembleSpec tree_ensemble_v5(const NodeContext& ctx, const Attributes& a, bool* double_values);

// One more than the highest feature a split reads.
size_t width_of(const TreeEnsembleSpec& spec);

}  // namespace plinth::model::onnx::trees
