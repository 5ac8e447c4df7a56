#include "model/tree_engine.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <tuple>

#include "core/error.h"
#include "model/tree_engine_simd.h"

namespace plinth::model {
namespace {

constexpr size_t kBlockRows = 256;
// Below this many rows a block walks several trees per row at once (see predict_block).
constexpr size_t kFewRows = 4;
constexpr size_t kTreesAtOnce = 8;

float number(const nlohmann::json& j) {
  return j.is_string() ? std::stof(j.get<std::string>()) : j.get<float>();
}

}  // namespace

CompiledModel CompiledModel::compile(const std::string& text) {
  CompiledModel m;
  try {
    auto learner = nlohmann::json::parse(text).at("learner");
    const auto& param = learner.at("learner_model_param");
    m.num_features_ = std::stoul(param.at("num_feature").get<std::string>());
    size_t num_class = std::stoul(param.at("num_class").get<std::string>());
    m.groups_ = std::max<size_t>(num_class, 1);
    float base_score = number(param.at("base_score"));
    std::string objective = learner.at("objective").at("name");
    if (objective == "binary:logistic" || objective == "reg:logistic") {
      m.transform_ = Transform::kSigmoid;
      m.base_margin_ = -std::log(1.0f / base_score - 1.0f);
    } else if (objective == "multi:softprob" || objective == "multi:softmax") {
      m.transform_ = Transform::kSoftmax;
      m.base_margin_ = base_score;
    } else if (objective == "reg:squarederror") {
      m.base_margin_ = base_score;
    } else {
      throw Error(ErrorCode::kInvalidInput, "objective '" + objective + "' is not compiled");
    }
    const auto& booster = learner.at("gradient_booster");
    std::string name = booster.at("name");
    if (name == "gblinear") {
      for (const auto& w : booster.at("model").at("weights"))
        m.linear_weights_.push_back(number(w));
      if (m.linear_weights_.size() != (m.num_features_ + 1) * m.groups_)
        throw Error(ErrorCode::kInvalidInput, "gblinear weights do not match num_feature");
      return m;
    }
    if (name != "gbtree")
      throw Error(ErrorCode::kInvalidInput, "booster '" + name + "' is not compiled");
    const auto& model = booster.at("model");
    const auto& info = model.at("tree_info");
    size_t t = 0;
    for (const auto& tree : model.at("trees")) {
      auto left = tree.at("left_children").get<std::vector<int32_t>>();
      auto right = tree.at("right_children").get<std::vector<int32_t>>();
      auto cond = tree.at("split_conditions").get<std::vector<float>>();
      auto index = tree.at("split_indices").get<std::vector<uint32_t>>();
      auto dleft = tree.at("default_left").get<std::vector<int>>();
      for (int s : tree.value("split_type", std::vector<int>{}))
        if (s != 0) throw Error(ErrorCode::kInvalidInput, "categorical splits are not compiled");
      // Breadth-first relayout: the two children of a node become neighbours.
      uint32_t root = static_cast<uint32_t>(m.nodes_.size());
      m.roots_.push_back(root);
      m.tree_group_.push_back(info.at(t++).get<uint32_t>());
      std::vector<int32_t> queue{0};
      std::vector<uint32_t> level{0};
      m.nodes_.push_back({});
      for (size_t q = 0; q < queue.size(); ++q) {
        int32_t src = queue[q];
        Node& dst = m.nodes_[root + q];
        if (left.at(src) == -1) {
          dst = {0, cond.at(src), root + static_cast<uint32_t>(q)};
          continue;
        }
        uint32_t child = root + static_cast<uint32_t>(queue.size());
        dst = {index.at(src) | (dleft.at(src) ? 0x80000000u : 0u), cond.at(src), child};
        if (index.at(src) >= m.num_features_)
          throw Error(ErrorCode::kInvalidInput, "split on a feature beyond num_feature");
        queue.push_back(left[src]);
        queue.push_back(right.at(src));
        level.push_back(level[q] + 1);
        level.push_back(level[q] + 1);
        m.nodes_.push_back({});
        m.nodes_.push_back({});
      }
      m.tree_depth_.push_back(*std::max_element(level.begin(), level.end()));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kInvalidInput, std::string("model.json: ") + e.what());
  } catch (const std::logic_error& e) {
    throw Error(ErrorCode::kInvalidInput, std::string("model.json: bad number: ") + e.what());
  }
  m.lay_out_perfect();
  return m;
}

namespace {

using Split = TreeEnsembleSpec::Split;

// The largest float <= t and the smallest float >= t (t not NaN).
float round_down(double t) {
  float f = static_cast<float>(t);
  return static_cast<double>(f) > t ? std::nextafter(f, -INFINITY) : f;
}
float round_up(double t) {
  float f = static_cast<float>(t);
  return static_cast<double>(f) < t ? std::nextafter(f, INFINITY) : f;
}

// Whether a split lowers exactly onto "x < float": ==, != and sets do not, nor a NaN
// threshold, nor "<= +inf" (true for x = +inf, which no float threshold gives).
bool lowers(const TreeEnsembleSpec::Node& n) {
  if (n.leaf) return true;
  if (n.split == Split::kEqual || n.split == Split::kNotEqual || n.split == Split::kMember)
    return false;
  if (std::isnan(n.threshold)) return false;
  return !((n.split == Split::kLessEqual || n.split == Split::kGreater) && n.threshold == INFINITY);
}

std::string tree_where(size_t t, size_t i) {
  return "tree " + std::to_string(t) + " node " + std::to_string(i);
}

}  // namespace

CompiledModel CompiledModel::compile(const TreeEnsembleSpec& spec, bool exact_double) {
  CompiledModel m;
  m.num_features_ = spec.num_features;
  m.groups_ = spec.num_outputs;
  if (m.groups_ == 0) throw Error(ErrorCode::kInvalidInput, "tree ensemble has no outputs");
  if (!spec.base.empty() && spec.base.size() != spec.num_outputs)
    throw Error(ErrorCode::kInvalidInput, "tree ensemble has " + std::to_string(spec.base.size()) +
                                              " base values for " +
                                              std::to_string(spec.num_outputs) + " outputs");
  m.base_.assign(m.groups_, 0.0f);
  for (size_t g = 0; g < spec.base.size(); ++g) m.base_[g] = static_cast<float>(spec.base[g]);
  m.aggregate_ = spec.aggregate;
  m.transform_ = spec.transform == TreeEnsembleSpec::Transform::kSigmoid   ? Transform::kSigmoid
                 : spec.transform == TreeEnsembleSpec::Transform::kSoftmax ? Transform::kSoftmax
                                                                           : Transform::kIdentity;
  m.leaf_begin_.push_back(0);
  auto add_leaf = [&](const TreeEnsembleSpec::Node& n) {
    for (const auto& [output, weight] : n.adds)
      m.leaf_adds_.emplace_back(output, static_cast<float>(weight));
    m.leaf_begin_.push_back(static_cast<uint32_t>(m.leaf_adds_.size()));
    return static_cast<uint32_t>(m.leaf_begin_.size() - 2);
  };
  for (size_t t = 0; t < spec.trees.size(); ++t) {
    const auto& nodes = spec.trees[t].nodes;
    if (nodes.empty())
      throw Error(ErrorCode::kInvalidInput, "tree " + std::to_string(t) + " is empty");
    // Check the nodes and that every node is reached once from the root (a tree, no cycles).
    std::vector<uint32_t> order{0};
    std::vector<uint32_t> level{0};
    std::vector<bool> seen(nodes.size());
    seen[0] = true;
    bool generic = exact_double;
    for (size_t q = 0; q < order.size(); ++q) {
      const auto& n = nodes[order[q]];
      if (n.leaf) {
        for (const auto& add : n.adds)
          if (add.first >= m.groups_)
            throw Error(ErrorCode::kInvalidInput, tree_where(t, order[q]) + " adds to output " +
                                                      std::to_string(add.first) + " of " +
                                                      std::to_string(m.groups_));
        continue;
      }
      if (n.feature >= m.num_features_)
        throw Error(ErrorCode::kInvalidInput, tree_where(t, order[q]) + " splits on feature " +
                                                  std::to_string(n.feature) + " of " +
                                                  std::to_string(m.num_features_));
      generic |= !lowers(n);
      for (uint32_t child : {n.yes, n.no}) {
        if (child >= nodes.size() || seen[child])
          throw Error(ErrorCode::kInvalidInput,
                      tree_where(t, order[q]) + ": child " + std::to_string(child) +
                          (child >= nodes.size() ? " does not exist" : " is reached twice"));
        seen[child] = true;
        order.push_back(child);
        level.push_back(level[q] + 1);
      }
    }
    // A tree whose leaves each add one value to the same output keeps the value in the leaf;
    // any other (and every tree under min/max, where a vote matters) uses the leaf table.
    uint32_t group = 0;
    for (uint32_t i : order)
      if (nodes[i].leaf && nodes[i].adds.size() == 1) {
        group = nodes[i].adds[0].first;
        break;
      }
    bool table = m.aggregate_ == TreeEnsembleSpec::Aggregate::kMin ||
                 m.aggregate_ == TreeEnsembleSpec::Aggregate::kMax;
    for (uint32_t i : order)
      if (nodes[i].leaf && (nodes[i].adds.size() != 1 || nodes[i].adds[0].first != group))
        table = true;
    if (generic) {
      // Nodes laid out in breadth-first order, so position q holds order[q].
      uint32_t base = static_cast<uint32_t>(m.generic_nodes_.size());
      std::vector<uint32_t> position(nodes.size());
      for (size_t q = 0; q < order.size(); ++q)
        position[order[q]] = base + static_cast<uint32_t>(q);
      m.generic_roots_.push_back(base);
      for (uint32_t i : order) {
        const auto& n = nodes[i];
        GenericNode g{n.split, n.leaf, n.missing_yes, n.feature, n.threshold, 0, 0, 0, 0};
        if (n.leaf) {
          g.yes = add_leaf(n);
        } else {
          g.yes = position[n.yes];
          g.no = position[n.no];
          g.members_begin = static_cast<uint32_t>(m.members_.size());
          m.members_.insert(m.members_.end(), n.members.begin(), n.members.end());
          g.members_end = static_cast<uint32_t>(m.members_.size());
          std::sort(m.members_.begin() + g.members_begin, m.members_.end());
        }
        m.generic_nodes_.push_back(g);
      }
      continue;
    }
    // Breadth-first relayout onto "go left when x < value": the two children of a node become
    // neighbours, the branch taken when the comparison holds first.
    uint32_t root = static_cast<uint32_t>(m.nodes_.size());
    m.roots_.push_back(root);
    m.tree_group_.push_back(table ? kLeafTable : group);
    m.tree_depth_.push_back(*std::max_element(level.begin(), level.end()));
    std::vector<uint32_t> queue{0};
    m.nodes_.push_back({});
    for (size_t q = 0; q < queue.size(); ++q) {
      const auto& n = nodes[queue[q]];
      uint32_t self = root + static_cast<uint32_t>(q);
      if (n.leaf) {
        float value = 0;
        if (table) {
          uint32_t index = add_leaf(n);
          std::memcpy(&value, &index, sizeof value);
        } else {
          value = static_cast<float>(n.adds[0].second);
        }
        m.nodes_[self] = {0, value, self};
        continue;
      }
      // x < t, x <= t as x < next(float <= t); x >= t and x > t are their negations, so the
      // children (and the missing direction) swap.
      bool less = n.split == Split::kLess || n.split == Split::kGreaterEqual;
      bool swap = n.split == Split::kGreater || n.split == Split::kGreaterEqual;
      float value =
          less ? round_up(n.threshold) : std::nextafter(round_down(n.threshold), INFINITY);
      bool missing_left = n.missing_yes != swap;
      uint32_t child = root + static_cast<uint32_t>(queue.size());
      m.nodes_[self] = {n.feature | (missing_left ? 0x80000000u : 0u), value, child};
      queue.push_back(swap ? n.no : n.yes);
      queue.push_back(swap ? n.yes : n.no);
      m.nodes_.push_back({});
      m.nodes_.push_back({});
    }
  }
  m.lay_out_perfect();
  return m;
}

void CompiledModel::add_leaves(size_t tree, const uint32_t* at, size_t rows, float* margin) const {
  const Node* nodes = nodes_.data();
  uint32_t group = tree_group_[tree];
  if (group != kLeafTable) {
    for (size_t r = 0; r < rows; ++r) margin[r * groups_ + group] += nodes[at[r]].value;
    return;
  }
  for (size_t r = 0; r < rows; ++r) {
    uint32_t leaf;
    std::memcpy(&leaf, &nodes[at[r]].value, sizeof leaf);
    float* m = margin + r * groups_;
    const auto* add = leaf_adds_.data() + leaf_begin_[leaf];
    const auto* end = leaf_adds_.data() + leaf_begin_[leaf + 1];
    switch (aggregate_) {
      case TreeEnsembleSpec::Aggregate::kSum:
      case TreeEnsembleSpec::Aggregate::kAverage:
        for (; add != end; ++add) m[add->first] += add->second;
        break;
      case TreeEnsembleSpec::Aggregate::kMin:
        for (; add != end; ++add) m[add->first] = std::min(m[add->first], add->second);
        break;
      case TreeEnsembleSpec::Aggregate::kMax:
        for (; add != end; ++add) m[add->first] = std::max(m[add->first], add->second);
        break;
    }
  }
}

template <typename T>
void CompiledModel::walk_generic(const T* x, size_t rows, size_t stride, float* margin) const {
  const GenericNode* nodes = generic_nodes_.data();
  for (uint32_t root : generic_roots_) {
    for (size_t r = 0; r < rows; ++r) {
      const T* row = x + r * stride;
      const GenericNode* n = nodes + root;
      while (!n->leaf) {
        T v = row[n->feature];
        bool yes = false;
        if (v != v) {
          yes = n->missing_yes;
        } else {
          double d = v;
          switch (n->split) {
            case Split::kLess:
              yes = d < n->threshold;
              break;
            case Split::kLessEqual:
              yes = d <= n->threshold;
              break;
            case Split::kGreater:
              yes = d > n->threshold;
              break;
            case Split::kGreaterEqual:
              yes = d >= n->threshold;
              break;
            case Split::kEqual:
              yes = d == n->threshold;
              break;
            case Split::kNotEqual:
              yes = d != n->threshold;
              break;
            case Split::kMember:
              yes = std::binary_search(members_.begin() + n->members_begin,
                                       members_.begin() + n->members_end, d);
              break;
          }
        }
        n = nodes + (yes ? n->yes : n->no);
      }
      float* m = margin + r * groups_;
      for (uint32_t k = leaf_begin_[n->yes]; k < leaf_begin_[n->yes + 1]; ++k) {
        auto [output, weight] = leaf_adds_[k];
        switch (aggregate_) {
          case TreeEnsembleSpec::Aggregate::kSum:
          case TreeEnsembleSpec::Aggregate::kAverage:
            m[output] += weight;
            break;
          case TreeEnsembleSpec::Aggregate::kMin:
            m[output] = std::min(m[output], weight);
            break;
          case TreeEnsembleSpec::Aggregate::kMax:
            m[output] = std::max(m[output], weight);
            break;
        }
      }
    }
  }
}

void CompiledModel::predict_block(const float* x, size_t rows, size_t stride, float* margin) const {
  std::fill(margin, margin + rows * groups_, start_margin());
  if (!linear_weights_.empty()) {
    const float* bias = linear_weights_.data() + num_features_ * groups_;
    for (size_t r = 0; r < rows; ++r)
      for (size_t g = 0; g < groups_; ++g) {
        float sum = bias[g] + base_margin_;
        const float* row = x + r * stride;
        for (size_t f = 0; f < num_features_; ++f)
          if (!std::isnan(row[f])) sum += row[f] * linear_weights_[f * groups_ + g];
        margin[r * groups_ + g] = sum;
      }
    return;
  }
  static_assert(sizeof(Node) == 12, "walk_avx2 reads nodes as three 32-bit words");
  const Node* nodes = nodes_.data();
  if (rows < kFewRows) {
    // Too few rows to overlap their walks (a served request): walk one row through
    // kTreesAtOnce trees at a time instead, so the independent loads overlap. Leaves are still
    // added in tree order.
    for (size_t r = 0; r < rows; ++r) {
      const float* row = x + r * stride;
      float* m = margin + r * groups_;
      for (size_t t = 0; t < roots_.size(); t += kTreesAtOnce) {
        size_t k = std::min(kTreesAtOnce, roots_.size() - t);
        uint32_t at[kTreesAtOnce];
        uint32_t depth = 0;
        for (size_t j = 0; j < k; ++j) {
          at[j] = roots_[t + j];
          depth = std::max(depth, tree_depth_[t + j]);
        }
        for (uint32_t level = 0; level < depth; ++level)
          for (size_t j = 0; j < k; ++j) {
            const Node& n = nodes[at[j]];
            float v = row[n.info & 0x7FFFFFFFu];
            bool go_left = (v < n.value) | ((v != v) & ((n.info >> 31) != 0));
            at[j] = n.left + static_cast<uint32_t>(!go_left & (n.left != at[j]));
          }
        for (size_t j = 0; j < k; ++j) {
          if (tree_group_[t + j] != kLeafTable)
            m[tree_group_[t + j]] += nodes[at[j]].value;
          else
            add_leaves(t + j, at + j, 1, m);
        }
      }
    }
  } else if (kernel_ == Kernel::kAvx512 && !perfect_depth_.empty()) {
    walk_perfect(x, rows, stride, margin);
  } else {
    uint32_t at[kBlockRows];
    for (size_t t = 0; t < roots_.size(); ++t) {
      std::fill(at, at + rows, roots_[t]);
      size_t vector_rows = kernel_ != Kernel::kPortable ? rows / 8 * 8 : 0;
      if (vector_rows)
        simd::walk_avx2(reinterpret_cast<const uint32_t*>(nodes), x, stride, tree_depth_[t],
                        vector_rows / 8, at);
      for (uint32_t level = 0; level < tree_depth_[t]; ++level) {
        for (size_t r = vector_rows; r < rows; ++r) {
          const Node& n = nodes[at[r]];
          float v = x[r * stride + (n.info & 0x7FFFFFFFu)];
          // NaN compares false, so a missing value goes where the default bit says.
          bool go_left = (v < n.value) | ((v != v) & ((n.info >> 31) != 0));
          at[r] = n.left + static_cast<uint32_t>(!go_left & (n.left != at[r]));
        }
      }
      add_leaves(t, at, rows, margin);
    }
  }
  if (!generic_roots_.empty()) walk_generic(x, rows, stride, margin);
}

// Each tree of depth <= simd::kMaxPerfectDepth as a perfect binary tree (tree_engine_simd.h): a
// leaf above the bottom level becomes splits whose every leaf below holds its value, so the walk
// needs no child pointers and the level's nodes fit in vector registers. Only when every tree
// fits (and adds one value to one output): the AVX-512 walk then takes the whole block.
void CompiledModel::lay_out_perfect() {
  for (size_t t = 0; t < roots_.size(); ++t)
    if (tree_group_[t] == kLeafTable || tree_depth_[t] > simd::kMaxPerfectDepth) return;
  auto word = [](float f) {
    uint32_t w;
    std::memcpy(&w, &f, sizeof w);
    return w;
  };
  for (size_t t = 0; t < roots_.size(); ++t) {
    uint32_t depth = tree_depth_[t], inner = (1u << depth) - 1;
    uint32_t base = static_cast<uint32_t>(perfect_.size());
    perfect_offset_.push_back(base);
    perfect_depth_.push_back(static_cast<uint8_t>(depth));
    perfect_.resize(base + 2 * inner + (1u << depth));
    uint32_t* thresholds = perfect_.data() + base;
    uint32_t* splits = thresholds + inner;
    uint32_t* leaves = splits + inner;
    // (node, level, position in the level), depth first.
    std::vector<std::tuple<uint32_t, uint32_t, uint32_t>> stack{{roots_[t], 0, 0}};
    while (!stack.empty()) {
      auto [i, level, at] = stack.back();
      stack.pop_back();
      const Node& n = nodes_[i];
      bool leaf = n.left == i;
      if (level == depth) {
        leaves[at] = word(n.value);
        continue;
      }
      uint32_t slot = (1u << level) - 1 + at;
      thresholds[slot] = leaf ? 0 : word(n.value);
      splits[slot] = leaf ? 0 : n.info;
      stack.emplace_back(n.left, level + 1, 2 * at);
      stack.emplace_back(leaf ? i : n.left + 1, level + 1, 2 * at + 1);
    }
  }
  perfect_.resize(perfect_.size() + 64);  // the walk reads whole vectors past a tree's end
}

void CompiledModel::walk_perfect(const float* x, size_t rows, size_t stride, float* margin) const {
  constexpr size_t kStride = simd::kColumnStride;
  static_assert(kStride >= kBlockRows, "a block's rows fit in a column");
  thread_local std::vector<float> columns, sums;
  size_t padded = (rows + 15) / 16 * 16;
  columns.resize(num_features_ * kStride);
  sums.resize(groups_ * kStride);
  bool missing = false;
  for (size_t f = 0; f < num_features_; ++f) {
    float* c = columns.data() + f * kStride;
    for (size_t r = 0; r < rows; ++r) {
      c[r] = x[r * stride + f];
      missing |= c[r] != c[r];
    }
    std::fill(c + rows, c + padded, 0.0f);
  }
  for (size_t g = 0; g < groups_; ++g)
    std::fill(sums.begin() + g * kStride, sums.begin() + g * kStride + padded, margin[g]);
  simd::PerfectTrees trees{perfect_.data(), perfect_offset_.data(), perfect_depth_.data(),
                           tree_group_.data(), perfect_depth_.size()};
  simd::walk_perfect_avx512(trees, columns.data(), num_features_, padded, missing, sums.data());
  for (size_t r = 0; r < rows; ++r)
    for (size_t g = 0; g < groups_; ++g) margin[r * groups_ + g] = sums[g * kStride + r];
}

CompiledModel::Kernel CompiledModel::best_kernel() {
  return simd::has_avx512() ? Kernel::kAvx512
         : simd::has_avx2() ? Kernel::kAvx2
                            : Kernel::kPortable;
}

void CompiledModel::use_kernel(Kernel kernel) {
  if ((kernel == Kernel::kAvx512 && !simd::has_avx512()) ||
      (kernel == Kernel::kAvx2 && !simd::has_avx2()))
    throw Error(ErrorCode::kInvalidInput, "this CPU lacks the instructions of that kernel");
  kernel_ = kernel;
}

float CompiledModel::start_margin() const {
  return aggregate_ == TreeEnsembleSpec::Aggregate::kMin   ? INFINITY
         : aggregate_ == TreeEnsembleSpec::Aggregate::kMax ? -INFINITY
                                                           : base_margin_;
}

// Aggregation's end: the average divides by the number of trees, an output no tree voted for
// under min/max is 0, then the per-output base.
void CompiledModel::finish(float* margin, size_t rows) const {
  if (base_.empty()) return;  // XGBoost: the base was the starting margin
  float trees = static_cast<float>(roots_.size() + generic_roots_.size());
  for (size_t i = 0; i < rows * groups_; ++i) {
    float& v = margin[i];
    if (aggregate_ == TreeEnsembleSpec::Aggregate::kAverage) v /= trees;
    if (std::isinf(v) && (aggregate_ == TreeEnsembleSpec::Aggregate::kMin ||
                          aggregate_ == TreeEnsembleSpec::Aggregate::kMax))
      v = 0;
    v += base_[i % groups_];
  }
}

void CompiledModel::predict_margins(const float* x, size_t rows, size_t stride, float* out) const {
  if (stride < num_features_)
    throw Error(ErrorCode::kInvalidInput, "rows of " + std::to_string(stride) +
                                              " values, the trees read " +
                                              std::to_string(num_features_));
  for (size_t start = 0; start < rows; start += kBlockRows) {
    size_t n = std::min(kBlockRows, rows - start);
    float* margin = out + start * groups_;
    predict_block(x + start * stride, n, stride, margin);
    finish(margin, n);
  }
}

void CompiledModel::predict_margins(const double* x, size_t rows, size_t stride, float* out) const {
  if (!roots_.empty() || !linear_weights_.empty())
    throw Error(ErrorCode::kInternal, "double rows need a model compiled with exact_double");
  if (stride < num_features_)
    throw Error(ErrorCode::kInvalidInput, "rows of " + std::to_string(stride) +
                                              " values, the trees read " +
                                              std::to_string(num_features_));
  std::fill(out, out + rows * groups_, start_margin());
  walk_generic(x, rows, stride, out);
  finish(out, rows);
}

void CompiledModel::predict(const float* x, size_t rows, double* out) const {
  float margin[kBlockRows * 16];
  size_t block =
      std::max<size_t>(1, std::min(kBlockRows, sizeof margin / sizeof *margin / groups_));
  if (groups_ > 16 * kBlockRows)
    throw Error(ErrorCode::kInvalidInput, "too many classes for the compiled engine");
  for (size_t start = 0; start < rows; start += block) {
    size_t n = std::min(block, rows - start);
    predict_block(x + start * num_features_, n, num_features_, margin);
    finish(margin, n);
    for (size_t r = 0; r < n; ++r) {
      const float* m = margin + r * groups_;
      double* o = out + (start + r) * groups_;
      switch (transform_) {
        case Transform::kIdentity:
          o[0] = m[0];
          break;
        case Transform::kSigmoid:
          o[0] = 1.0 / (1.0 + std::exp(-static_cast<double>(m[0])));
          break;
        case Transform::kSoftmax: {
          double top = *std::max_element(m, m + groups_), sum = 0;
          for (size_t g = 0; g < groups_; ++g) sum += o[g] = std::exp(m[g] - top);
          for (size_t g = 0; g < groups_; ++g) o[g] /= sum;
          break;
        }
      }
    }
  }
}

}  // namespace plinth::model
