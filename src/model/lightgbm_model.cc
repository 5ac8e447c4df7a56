#include "model/lightgbm_model.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "core/error.h"

namespace plinth::model {
namespace {
using Spec = TreeEnsembleSpec;

[[noreturn]] void refuse(const std::string& source, const std::string& what) {
  throw Error(ErrorCode::kInvalidInput, source + ": " + what);
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// One "Tree=N" block's key=value lines.
struct Block {
  std::map<std::string, std::string> fields;
  std::string source;

  const std::string& at(const std::string& key) const {
    auto it = fields.find(key);
    if (it == fields.end()) refuse(source, "field '" + key + "' is missing");
    return it->second;
  }
  template <typename T>
  std::vector<T> list(const std::string& key, size_t n) const {
    std::vector<T> out;
    for (const auto& w : words(at(key))) {
      char* end = nullptr;
      double v = std::strtod(w.c_str(), &end);
      if (end == w.c_str() || *end) refuse(source, "field '" + key + "' holds '" + w + "'");
      out.push_back(static_cast<T>(v));
    }
    if (out.size() != n)
      refuse(source, "field '" + key + "' has " + std::to_string(out.size()) +
                         " values, expected " + std::to_string(n));
    return out;
  }
};

constexpr int kCategorical = 1, kDefaultLeft = 2;
constexpr int kMissingNone = 0, kMissingNaN = 2;
constexpr size_t kMaxDepth = 4096, kMaxNodes = size_t{1} << 22;

// The nodes of one LightGBM tree in the spec's form, built from the root down. A node whose
// default direction disagrees with where 0 would go (missing type Zero) becomes two: "x == 0"
// to the default subtree (so that subtree is emitted twice), else the comparison.
struct TreeBuilder {
  TreeBuilder(const Block& block, uint32_t out, double s) : b(block), output(out), scale(s) {}
  const Block& b;
  uint32_t output;
  double scale;
  std::vector<int> feature, decision, left, right;
  std::vector<double> threshold, leaf;
  std::vector<int> cat_boundaries;
  std::vector<uint32_t> cat_threshold;
  Spec::Tree tree;

  uint32_t emit(int node, size_t depth = 0) {
    // A chain of splits, or Zero-type splits copying their default subtree level after level,
    // could exhaust the stack or memory: a corrupt file more likely than a real model.
    if (depth > kMaxDepth || tree.nodes.size() > kMaxNodes)
      refuse(b.source, "the tree is deeper than " + std::to_string(kMaxDepth) +
                           " levels or lowers to more than " + std::to_string(kMaxNodes) +
                           " nodes");
    uint32_t at = static_cast<uint32_t>(tree.nodes.size());
    tree.nodes.emplace_back();
    if (node < 0) {
      size_t l = static_cast<size_t>(~node);
      if (l >= leaf.size()) refuse(b.source, "a child points at leaf " + std::to_string(l));
      tree.nodes[at].leaf = true;
      tree.nodes[at].adds = {{output, leaf[l] * scale}};
      return at;
    }
    if (static_cast<size_t>(node) >= feature.size())
      refuse(b.source, "a child points at node " + std::to_string(node));
    Spec::Node n;
    n.feature = static_cast<uint32_t>(feature[node]);
    int type = decision[node];
    int missing = (type >> 2) & 3;
    bool default_left = (type & kDefaultLeft) != 0;
    if (type & kCategorical) {
      n.split = Spec::Split::kMember;
      size_t cat = static_cast<size_t>(threshold[node]);
      if (cat + 1 >= cat_boundaries.size())
        refuse(b.source, "categorical split " + std::to_string(cat) + " has no bitset");
      for (int w = cat_boundaries[cat]; w < cat_boundaries[cat + 1]; ++w)
        for (int bit = 0; bit < 32; ++bit)
          if (cat_threshold.at(static_cast<size_t>(w)) >> bit & 1u)
            n.members.push_back(32.0 * (w - cat_boundaries[cat]) + bit);
      // LightGBM reads a NaN category through static_cast<int>, which is negative on x86, so
      // NaN (and a pandas category unseen in training) goes right; Plinth's code for an unknown
      // category is past every known one, so it is in no bitset and goes right too.
      n.missing_yes = false;
    } else {
      n.split = Spec::Split::kLessEqual;
      n.threshold = threshold[node];
      bool zero_left = 0.0 <= n.threshold;
      if (missing == kMissingNaN)
        n.missing_yes = default_left;
      else if (missing == kMissingNone)
        n.missing_yes = zero_left;
      else if (default_left == zero_left)
        n.missing_yes = default_left;  // 0 and NaN both go the default way already
      else {
        // Zero: x == 0 (or NaN) takes the default branch, which the comparison would not.
        Spec::Node zero;
        zero.split = Spec::Split::kEqual;
        zero.feature = n.feature;
        zero.threshold = 0;
        zero.missing_yes = true;
        tree.nodes[at] = zero;
        tree.nodes[at].yes = emit(default_left ? left[node] : right[node], depth + 1);
        tree.nodes[at].no = emit_split(n, node, depth + 1);
        return at;
      }
    }
    tree.nodes[at] = n;
    tree.nodes[at].yes = emit(left[node], depth + 1);
    tree.nodes[at].no = emit(right[node], depth + 1);
    return at;
  }

  uint32_t emit_split(Spec::Node n, int node, size_t depth) {
    uint32_t at = static_cast<uint32_t>(tree.nodes.size());
    tree.nodes.push_back(n);
    tree.nodes[at].yes = emit(left[node], depth + 1);
    tree.nodes[at].no = emit(right[node], depth + 1);
    return at;
  }
};

}  // namespace

LightgbmModel read_lightgbm_model(const std::string& text, const std::string& source) {
  LightgbmModel m;
  std::istringstream in(text);
  std::string line;
  std::map<std::string, std::string> header;
  std::vector<Block> blocks;
  bool average_output = false;
  std::string categorical_param;
  enum { kHeader, kTrees, kTail } part = kHeader;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (part == kTail) {
      if (line.rfind("[categorical_feature: ", 0) == 0)
        categorical_param = line.substr(22, line.size() - 23);
      if (line.rfind("pandas_categorical:", 0) == 0) {
        auto j = nlohmann::json::parse(line.substr(19), nullptr, false);
        if (j.is_discarded()) refuse(source, "pandas_categorical is not JSON");
        if (j.is_array())
          for (const auto& cats : j) {
            std::vector<std::string> names;
            for (const auto& c : cats)
              names.push_back(c.is_string() ? c.get<std::string>() : c.dump());
            m.categories.push_back(std::move(names));
          }
      }
      continue;
    }
    if (line == "end of trees") {
      part = kTail;
      continue;
    }
    if (line == "average_output") average_output = true;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "Tree") {
      part = kTrees;
      blocks.push_back({{}, source + " tree " + value});
      continue;
    }
    if (part == kHeader)
      header[key] = value;
    else
      blocks.back().fields[key] = value;
  }
  if (header.find("version") == header.end() || blocks.empty())
    refuse(source, "not a LightGBM text model (no version line or no trees)");
  Block head{header, source};
  std::vector<std::string> objective = words(head.at("objective"));
  if (objective.empty()) refuse(source, "the objective line is empty");
  m.objective = objective[0];
  m.num_class = head.list<size_t>("num_class", 1)[0];
  size_t per_iteration = head.list<size_t>("num_tree_per_iteration", 1)[0];
  m.feature_names = words(head.at("feature_names"));
  m.spec.num_features = head.list<size_t>("max_feature_idx", 1)[0] + 1;
  if (m.feature_names.size() != m.spec.num_features)
    refuse(source, "feature_names lists " + std::to_string(m.feature_names.size()) + " names for " +
                       std::to_string(m.spec.num_features) + " features");
  if (per_iteration == 0 || blocks.size() % per_iteration)
    refuse(source, std::to_string(blocks.size()) + " trees do not divide into iterations of " +
                       std::to_string(per_iteration));

  double scale = 1;
  auto param = [&](const std::string& name) -> std::optional<double> {
    for (size_t i = 1; i < objective.size(); ++i)
      if (objective[i].rfind(name + ":", 0) == 0)
        return std::strtod(objective[i].c_str() + name.size() + 1, nullptr);
    return std::nullopt;
  };
  if (m.objective == "binary") {
    m.spec.transform = Spec::Transform::kSigmoid;
    scale = param("sigmoid").value_or(1.0);  // p = 1 / (1 + exp(-sigmoid * score))
  } else if (m.objective == "multiclass" || m.objective == "softmax") {
    m.spec.transform = Spec::Transform::kSoftmax;
    m.spec.num_outputs = m.num_class;
    if (per_iteration != m.num_class)
      refuse(source, "multiclass model with " + std::to_string(per_iteration) +
                         " trees per iteration for " + std::to_string(m.num_class) + " classes");
  } else if (m.objective == "regression" || m.objective == "regression_l1" ||
             m.objective == "huber" || m.objective == "fair" || m.objective == "quantile" ||
             m.objective == "mape") {
    for (const auto& w : objective)
      if (w == "sqrt")
        refuse(source, "objective '" + head.at("objective") +
                           "' (reg_sqrt) squares its output, which Plinth does not support");
  } else {
    refuse(source, "objective '" + head.at("objective") +
                       "' is not supported (binary, multiclass and the regression objectives are)");
  }
  if (m.spec.num_outputs == 1 && per_iteration != 1)
    refuse(source, std::to_string(per_iteration) + " trees per iteration for one output");
  // Random-forest mode averages the iterations; shrinkage is already in the leaf values.
  if (average_output) scale /= static_cast<double>(blocks.size() / per_iteration);

  if (!m.categories.empty()) {
    for (const auto& w : words(categorical_param.empty() ? "" : [&] {
           std::string s = categorical_param;
           for (char& c : s)
             if (c == ',') c = ' ';
           return s;
         }()))
      m.categorical_features.push_back(std::stoul(w));
    if (m.categorical_features.size() != m.categories.size())
      refuse(source, "pandas_categorical lists " + std::to_string(m.categories.size()) +
                         " columns but categorical_feature names " +
                         std::to_string(m.categorical_features.size()));
  }

  for (size_t t = 0; t < blocks.size(); ++t) {
    const Block& b = blocks[t];
    auto num_leaves = b.list<size_t>("num_leaves", 1)[0];
    if (b.fields.count("is_linear") && b.at("is_linear") != "0")
      refuse(source, "linear trees (linear_tree=true) are not supported");
    TreeBuilder tb(b, static_cast<uint32_t>(t % per_iteration), scale);
    tb.leaf = b.list<double>("leaf_value", num_leaves);
    if (num_leaves == 0) refuse(b.source, "num_leaves is 0");
    size_t splits = num_leaves - 1;
    if (splits > 0) {
      tb.feature = b.list<int>("split_feature", splits);
      tb.decision = b.list<int>("decision_type", splits);
      tb.threshold = b.list<double>("threshold", splits);
      tb.left = b.list<int>("left_child", splits);
      tb.right = b.list<int>("right_child", splits);
      size_t num_cat = b.list<size_t>("num_cat", 1)[0];
      if (num_cat > 0) {
        tb.cat_boundaries = b.list<int>("cat_boundaries", num_cat + 1);
        tb.cat_threshold =
            b.list<uint32_t>("cat_threshold", static_cast<size_t>(tb.cat_boundaries.back()));
      }
      for (int f : tb.feature)
        if (f < 0 || static_cast<size_t>(f) >= m.spec.num_features)
          refuse(b.source, "split on feature " + std::to_string(f) + " beyond max_feature_idx");
    }
    // Depth bounded by the number of leaves; a corrupt file cannot recurse forever because
    // each node index must be smaller than the number of splits and children form a tree.
    std::vector<int> seen(splits, 0);
    for (size_t i = 0; i < splits; ++i)
      for (int c : {tb.left[i], tb.right[i]})
        if (c >= 0 && (static_cast<size_t>(c) >= splits || c == 0 || seen[c]++))
          refuse(b.source, "the children do not form a tree");
    tb.emit(splits > 0 ? 0 : ~0);
    m.spec.trees.push_back(std::move(tb.tree));
  }
  return m;
}

}  // namespace plinth::model
