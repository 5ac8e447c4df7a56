#include "model/onnx/tree_attrs.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace plinth::model::onnx::trees {

using Spec = TreeEnsembleSpec;

namespace {

std::vector<double> tensor_numbers(const NodeContext& ctx, const Attributes& a,
                                   const std::string& name, bool* is_double) {
  auto t = a.get_tensor(name);
  if (!t) return {};
  *is_double |= t->type == ElementType::kDouble;
  if (t->type == ElementType::kDouble) return t->d;
  if (t->type == ElementType::kFloat) return {t->f.begin(), t->f.end()};
  throw bad(ctx, "attribute '" + name + "' holds " + element_type_name(t->type) +
                     ", not float or double");
}

void same_length(const NodeContext& ctx, const std::string& name, size_t got, size_t want,
                 const std::string& like) {
  if (got != want)
    throw bad(ctx, "attribute '" + name + "' has " + std::to_string(got) + " values but '" + like +
                       "' has " + std::to_string(want));
}

// ONNX's != sends a missing value to the true branch whatever the missing flag says (NaN != t
// holds); the other comparisons send it where the flag says.
Spec::Node branch(Spec::Split split, uint32_t feature, double threshold, bool missing_true) {
  Spec::Node n;
  n.split = split;
  n.feature = feature;
  n.threshold = threshold;
  n.missing_yes = missing_true || split == Spec::Split::kNotEqual;
  return n;
}

std::string node_name(size_t i, int64_t tree, int64_t node) {
  return "node " + std::to_string(i) + " (tree id " + std::to_string(tree) + ", node id " +
         std::to_string(node) + ")";
}

}  // namespace

Error bad(const NodeContext& ctx, const std::string& what) {
  return Error(ErrorCode::kInvalidInput, ctx.where() + ": " + what);
}

std::vector<double> numbers(const NodeContext& ctx, const Attributes& a, const std::string& name,
                            bool* is_double) {
  auto tensor = a.get_tensor(name + "_as_tensor");
  if (tensor && a.has(name))
    throw bad(ctx, "both '" + name + "' and '" + name + "_as_tensor' are set; keep one");
  if (is_double) *is_double = tensor && tensor->type == ElementType::kDouble;
  if (!tensor) {
    auto f = a.get_floats(name);
    return {f.begin(), f.end()};
  }
  if (tensor->type == ElementType::kDouble) return tensor->d;
  if (tensor->type == ElementType::kFloat) return {tensor->f.begin(), tensor->f.end()};
  throw bad(ctx, "attribute '" + name + "_as_tensor' holds " + element_type_name(tensor->type) +
                     ", not float or double");
}

Post post_from_name(const NodeContext& ctx, const std::string& s) {
  static const std::map<std::string, Post> names = {{"NONE", Post::kNone},
                                                    {"LOGISTIC", Post::kLogistic},
                                                    {"SOFTMAX", Post::kSoftmax},
                                                    {"SOFTMAX_ZERO", Post::kSoftmaxZero},
                                                    {"PROBIT", Post::kProbit}};
  auto it = names.find(s);
  if (it == names.end())
    throw bad(ctx, "post_transform '" + s +
                       "' is not one of NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO, PROBIT");
  return it->second;
}

Spec::Aggregate aggregate_from_name(const NodeContext& ctx, const std::string& s) {
  if (s == "SUM") return Spec::Aggregate::kSum;
  if (s == "AVERAGE") return Spec::Aggregate::kAverage;
  if (s == "MIN") return Spec::Aggregate::kMin;
  if (s == "MAX") return Spec::Aggregate::kMax;
  throw bad(ctx, "aggregate_function '" + s + "' is not one of SUM, AVERAGE, MIN, MAX");
}

ClassicTrees classic_trees(const NodeContext& ctx, const Attributes& a) {
  auto tree_ids = a.get_ints("nodes_treeids"), node_ids = a.get_ints("nodes_nodeids");
  auto features = a.get_ints("nodes_featureids"), yes = a.get_ints("nodes_truenodeids");
  auto no = a.get_ints("nodes_falsenodeids");
  auto missing = a.get_ints("nodes_missing_value_tracks_true");
  auto modes = a.get_strings("nodes_modes");
  ClassicTrees out;
  auto values = numbers(ctx, a, "nodes_values", &out.double_thresholds);
  size_t n = tree_ids.size();
  if (n == 0) throw bad(ctx, "attribute 'nodes_treeids' is missing or empty");
  same_length(ctx, "nodes_nodeids", node_ids.size(), n, "nodes_treeids");
  same_length(ctx, "nodes_featureids", features.size(), n, "nodes_treeids");
  same_length(ctx, "nodes_modes", modes.size(), n, "nodes_treeids");
  same_length(ctx, "nodes_values", values.size(), n, "nodes_treeids");
  same_length(ctx, "nodes_truenodeids", yes.size(), n, "nodes_treeids");
  same_length(ctx, "nodes_falsenodeids", no.size(), n, "nodes_treeids");
  if (!missing.empty())
    same_length(ctx, "nodes_missing_value_tracks_true", missing.size(), n, "nodes_treeids");
  static const std::map<std::string, Spec::Split> splits = {
      {"BRANCH_LEQ", Spec::Split::kLessEqual},    {"BRANCH_LT", Spec::Split::kLess},
      {"BRANCH_GTE", Spec::Split::kGreaterEqual}, {"BRANCH_GT", Spec::Split::kGreater},
      {"BRANCH_EQ", Spec::Split::kEqual},         {"BRANCH_NEQ", Spec::Split::kNotEqual}};
  std::map<int64_t, uint32_t> tree_of;
  for (size_t i = 0; i < n; ++i) {
    auto [t, fresh] = tree_of.emplace(tree_ids[i], static_cast<uint32_t>(out.trees.size()));
    if (fresh) out.trees.emplace_back();
    auto& nodes = out.trees[t->second].nodes;
    if (!out.index
             .emplace(std::pair{tree_ids[i], node_ids[i]},
                      std::pair{t->second, static_cast<uint32_t>(nodes.size())})
             .second)
      throw bad(ctx, node_name(i, tree_ids[i], node_ids[i]) + " repeats an earlier node's ids");
    if (modes[i] == "LEAF") {
      Spec::Node leaf;
      leaf.leaf = true;
      nodes.push_back(leaf);
      continue;
    }
    auto split = splits.find(modes[i]);
    if (split == splits.end())
      throw bad(ctx, node_name(i, tree_ids[i], node_ids[i]) + ": nodes_modes '" + modes[i] +
                         "' is not LEAF or BRANCH_LEQ, _LT, _GTE, _GT, _EQ, _NEQ");
    if (features[i] < 0 || features[i] > 0x7FFFFFFF)
      throw bad(ctx, node_name(i, tree_ids[i], node_ids[i]) + ": nodes_featureids " +
                         std::to_string(features[i]) + " is not a column index");
    nodes.push_back(branch(split->second, static_cast<uint32_t>(features[i]), values[i],
                           !missing.empty() && missing[i] != 0));
  }
  for (size_t i = 0; i < n; ++i) {
    auto [t, k] = out.index.at({tree_ids[i], node_ids[i]});
    auto& node = out.trees[t].nodes[k];
    if (node.leaf) continue;
    auto child = [&](int64_t id, const char* name) {
      auto it = out.index.find({tree_ids[i], id});
      if (it == out.index.end())
        throw bad(ctx, node_name(i, tree_ids[i], node_ids[i]) + ": " + name + " " +
                           std::to_string(id) + " is not a node of tree id " +
                           std::to_string(tree_ids[i]));
      return it->second.second;
    };
    node.yes = child(yes[i], "nodes_truenodeids");
    node.no = child(no[i], "nodes_falsenodeids");
    if (node.yes == node.no) {
      // Both branches lead to one child: the comparison does not matter; give the tree a copy.
      node.no = static_cast<uint32_t>(out.trees[t].nodes.size());
      if (!out.trees[t].nodes[node.yes].leaf)
        throw bad(ctx, node_name(i, tree_ids[i], node_ids[i]) +
                           ": both branches lead to the same interior node");
      out.trees[t].nodes.push_back(out.trees[t].nodes[node.yes]);
      out.index[{tree_ids[i], -1 - static_cast<int64_t>(i)}] = {t, node.no};
    }
  }
  return out;
}

void add_votes(const NodeContext& ctx, const Attributes& a, const std::string& prefix,
               size_t outputs, ClassicTrees& trees) {
  auto tree_ids = a.get_ints(prefix + "_treeids"), node_ids = a.get_ints(prefix + "_nodeids");
  auto ids = a.get_ints(prefix + "_ids");
  bool is_double = false;
  auto weights = numbers(ctx, a, prefix + "_weights", &is_double);
  same_length(ctx, prefix + "_nodeids", node_ids.size(), tree_ids.size(), prefix + "_treeids");
  same_length(ctx, prefix + "_ids", ids.size(), tree_ids.size(), prefix + "_treeids");
  same_length(ctx, prefix + "_weights", weights.size(), tree_ids.size(), prefix + "_treeids");
  for (size_t i = 0; i < tree_ids.size(); ++i) {
    std::string vote = "vote " + std::to_string(i) + " (" + prefix + "_treeids " +
                       std::to_string(tree_ids[i]) + ", " + prefix + "_nodeids " +
                       std::to_string(node_ids[i]) + ")";
    auto it = trees.index.find({tree_ids[i], node_ids[i]});
    if (it == trees.index.end()) throw bad(ctx, vote + " names no node");
    auto& node = trees.trees[it->second.first].nodes[it->second.second];
    if (!node.leaf) throw bad(ctx, vote + " names a node that is not a LEAF");
    if (ids[i] < 0 || static_cast<size_t>(ids[i]) >= outputs)
      throw bad(ctx, vote + ": " + prefix + "_ids " + std::to_string(ids[i]) + " is not below " +
                         std::to_string(outputs));
    node.adds.emplace_back(static_cast<uint32_t>(ids[i]), weights[i]);
  }
  // The copies made for nodes whose branches meet vote like their originals.
  for (const auto& [key, at] : trees.index)
    if (key.second < 0) {
      auto& tree = trees.trees[at.first];
      for (const auto& n : tree.nodes)
        if (!n.leaf && n.no == at.second) tree.nodes[at.second].adds = tree.nodes[n.yes].adds;
    }
}

size_t width_of(const Spec& spec) {
  size_t width = 0;
  for (const auto& tree : spec.trees)
    for (const auto& n : tree.nodes)
      if (!n.leaf) width = std::max<size_t>(width, n.feature + 1);
  return width;
}

// ai.onnx.ml 5 TreeEnsemble: interior nodes in nodes_* lists, leaves in leaf_* lists, a flag
// per branch saying which list its id points into. Each tree is copied out from its root.
Spec tree_ensemble_v5(const NodeContext& ctx, const Attributes& a, bool* double_values) {
  auto features = a.get_ints("nodes_featureids"), yes = a.get_ints("nodes_truenodeids");
  auto no = a.get_ints("nodes_falsenodeids"), yes_leaf = a.get_ints("nodes_trueleafs");
  auto no_leaf = a.get_ints("nodes_falseleafs");
  auto missing = a.get_ints("nodes_missing_value_tracks_true");
  auto roots = a.get_ints("tree_roots"), targets = a.get_ints("leaf_targetids");
  auto modes = a.get_tensor("nodes_modes");
  auto splits = tensor_numbers(ctx, a, "nodes_splits", double_values);
  auto weights = tensor_numbers(ctx, a, "leaf_weights", double_values);
  auto members = tensor_numbers(ctx, a, "membership_values", double_values);
  size_t n = features.size();
  if (!modes) throw bad(ctx, "attribute 'nodes_modes' is missing");
  same_length(ctx, "nodes_modes", modes->i.size(), n, "nodes_featureids");
  same_length(ctx, "nodes_splits", splits.size(), n, "nodes_featureids");
  same_length(ctx, "nodes_truenodeids", yes.size(), n, "nodes_featureids");
  same_length(ctx, "nodes_falsenodeids", no.size(), n, "nodes_featureids");
  same_length(ctx, "nodes_trueleafs", yes_leaf.size(), n, "nodes_featureids");
  same_length(ctx, "nodes_falseleafs", no_leaf.size(), n, "nodes_featureids");
  if (!missing.empty())
    same_length(ctx, "nodes_missing_value_tracks_true", missing.size(), n, "nodes_featureids");
  same_length(ctx, "leaf_weights", weights.size(), targets.size(), "leaf_targetids");
  if (roots.empty()) throw bad(ctx, "attribute 'tree_roots' is missing or empty");
  Spec spec;
  spec.num_outputs = static_cast<size_t>(a.require_int("n_targets"));
  if (spec.num_outputs == 0 || spec.num_outputs > 100000)
    throw bad(ctx, "n_targets " + std::to_string(spec.num_outputs) + " is out of range");
  for (size_t i = 0; i < targets.size(); ++i)
    if (targets[i] < 0 || static_cast<size_t>(targets[i]) >= spec.num_outputs)
      throw bad(ctx, "leaf " + std::to_string(i) + ": leaf_targetids " +
                         std::to_string(targets[i]) + " is not below n_targets");
  static const Spec::Split kinds[] = {Spec::Split::kLessEqual,    Spec::Split::kLess,
                                      Spec::Split::kGreaterEqual, Spec::Split::kGreater,
                                      Spec::Split::kEqual,        Spec::Split::kNotEqual,
                                      Spec::Split::kMember};
  // The sets of the BRANCH_MEMBER nodes, in node order, each ended by a NaN.
  std::vector<std::vector<double>> sets(n);
  size_t next = 0;
  for (size_t i = 0; i < n; ++i) {
    if (modes->i[i] < 0 || modes->i[i] > 6)
      throw bad(ctx, "node " + std::to_string(i) + ": nodes_modes " + std::to_string(modes->i[i]) +
                         " is not 0..6 (LEQ..MEMBER)");
    if (features[i] < 0 || features[i] > 0x7FFFFFFF)
      throw bad(ctx, "node " + std::to_string(i) + ": nodes_featureids " +
                         std::to_string(features[i]) + " is not a column index");
    if (modes->i[i] != 6) continue;
    for (; next < members.size() && !std::isnan(members[next]); ++next)
      sets[i].push_back(members[next]);
    if (next == members.size())
      throw bad(ctx, "node " + std::to_string(i) +
                         " is BRANCH_MEMBER but membership_values has no set for it");
    ++next;
  }
  size_t budget = 8 * (n + targets.size()) + 1024;  // copies of shared subtrees stay bounded
  for (size_t r = 0; r < roots.size(); ++r) {
    if (roots[r] < 0 || static_cast<size_t>(roots[r]) >= n)
      throw bad(ctx, "tree_roots " + std::to_string(roots[r]) + " is not a node index");
    Spec::Tree tree;
    // (index, is_leaf) of each copied node, filled breadth-first.
    std::vector<std::pair<int64_t, bool>> todo{{roots[r], false}};
    for (size_t q = 0; q < todo.size(); ++q) {
      if (todo.size() > budget)
        throw bad(ctx, "tree " + std::to_string(r) + " reaches too many nodes (a cycle?)");
      auto [i, leaf] = todo[q];
      Spec::Node node;
      if (leaf) {
        if (i < 0 || static_cast<size_t>(i) >= targets.size())
          throw bad(ctx, "a branch names leaf " + std::to_string(i) + ", of " +
                             std::to_string(targets.size()));
        node.leaf = true;
        node.adds = {{static_cast<uint32_t>(targets[i]), weights[i]}};
      } else {
        if (i < 0 || static_cast<size_t>(i) >= n)
          throw bad(ctx, "a branch names node " + std::to_string(i) + ", of " + std::to_string(n));
        node = branch(kinds[modes->i[i]], static_cast<uint32_t>(features[i]), splits[i],
                      !missing.empty() && missing[i] != 0);
        node.members = sets[i];
        node.yes = static_cast<uint32_t>(todo.size());
        todo.emplace_back(yes[i], yes_leaf[i] != 0);
        node.no = static_cast<uint32_t>(todo.size());
        todo.emplace_back(no[i], no_leaf[i] != 0);
      }
      tree.nodes.push_back(std::move(node));
    }
    spec.trees.push_back(std::move(tree));
  }
  int64_t aggregate = a.get_int("aggregate_function", 1);
  if (aggregate < 0 || aggregate > 3)
    throw bad(ctx, "aggregate_function " + std::to_string(aggregate) +
                       " is not 0..3 (AVERAGE, SUM, MIN, MAX)");
  static const Spec::Aggregate aggregates[] = {Spec::Aggregate::kAverage, Spec::Aggregate::kSum,
                                               Spec::Aggregate::kMin, Spec::Aggregate::kMax};
  spec.aggregate = aggregates[aggregate];
  return spec;
}

}  // namespace plinth::model::onnx::trees
