// ONNX's tree operators on the compiled tree engine: TreeEnsembleClassifier and
// TreeEnsembleRegressor (ai.onnx.ml 1-3) and TreeEnsemble (ai.onnx.ml 5). The attributes become
// a TreeEnsembleSpec at load, checked there; the engine walks the trees in float32 as
// onnxruntime does, and the post-processing below follows onnxruntime's, quirks included
// (the binary rule, scores of classes no leaf voted for, transforms a single target ignores).
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/error.h"
#include "model/onnx/kernel.h"
#include "model/onnx/tree_attrs.h"
#include "model/onnx/tree_post.h"
#include "model/tree_engine.h"

namespace plinth::model::onnx {
namespace {

using namespace trees;

using Spec = TreeEnsembleSpec;

// Which outputs some row may get no vote for: onnxruntime writes such an output as 0 (its base
// value dropped) in that row, so each gets a counter, an extra engine output that every vote
// for it adds 1 to. An output some tree votes for at every leaf needs none. Returns per output
// the counter's output index, or -1.
std::vector<int64_t> add_vote_counters(Spec& spec) {
  size_t outputs = spec.num_outputs;
  std::vector<int64_t> counter(outputs, -1);
  std::vector<bool> voted(outputs), always(outputs);
  for (const auto& tree : spec.trees) {
    std::vector<size_t> leaves_voting(outputs);
    size_t leaves = 0;
    for (const auto& n : tree.nodes) {
      if (!n.leaf) continue;
      ++leaves;
      std::set<uint32_t> once;
      for (auto [c, w] : n.adds) once.insert(c);
      for (uint32_t c : once) {
        voted[c] = true;
        ++leaves_voting[c];
      }
    }
    for (size_t c = 0; c < outputs; ++c) always[c] = always[c] || leaves_voting[c] == leaves;
  }
  for (size_t c = 0; c < outputs; ++c)
    if (!always[c]) counter[c] = static_cast<int64_t>(spec.num_outputs++);
  for (auto& tree : spec.trees)
    for (auto& n : tree.nodes) {
      size_t votes = n.adds.size();
      for (size_t v = 0; v < votes; ++v)
        if (counter[n.adds[v].first] >= 0)
          n.adds.emplace_back(static_cast<uint32_t>(counter[n.adds[v].first]), 1.0);
    }
  if (!spec.base.empty()) spec.base.resize(spec.num_outputs, 0.0);
  return counter;
}

// The engines for one tree node: float32 rows on the compiled walk; double rows rounded in the
// one direction that keeps every comparison's answer (up for <= and >, down for < and >=) when
// all splits share it and the thresholds are floats, else walked exactly in double.
class TreeEngines {
 public:
  explicit TreeEngines(Spec spec) {
    spec.num_features = width_of(spec);
    width_ = spec.num_features;
    outputs_ = spec.num_outputs;
    bool up = false, down = false, exact = true;
    for (const auto& tree : spec.trees)
      for (const auto& n : tree.nodes) {
        if (n.leaf) continue;
        exact &= static_cast<double>(static_cast<float>(n.threshold)) == n.threshold;
        up |= n.split == Spec::Split::kLessEqual || n.split == Spec::Split::kGreater;
        down |= n.split == Spec::Split::kLess || n.split == Spec::Split::kGreaterEqual;
        exact &= n.split != Spec::Split::kEqual && n.split != Spec::Split::kNotEqual &&
                 n.split != Spec::Split::kMember;
      }
    double_ = !exact || (up && down) ? Rounding::kExactWalk : up ? Rounding::kUp : Rounding::kDown;
    model_ = CompiledModel::compile(spec);
    if (double_ == Rounding::kExactWalk) exact_ = CompiledModel::compile(spec, true);
  }

  size_t outputs() const { return outputs_; }

  // Engine outputs for the node's input X ([rows, features] or [features]); sets `rows`.
  std::vector<float> run(std::span<const Value* const> inputs, size_t& rows) const {
    if (inputs.empty() || !inputs[0] || !std::holds_alternative<Tensor>(*inputs[0]))
      throw Error(ErrorCode::kInvalidInput, "the tree ensemble needs a tensor input");
    const Tensor& x = std::get<Tensor>(*inputs[0]);
    if (x.shape.empty() || x.shape.size() > 2)
      throw Error(ErrorCode::kInvalidInput,
                  "the tree ensemble's input must be [rows, features], not rank " +
                      std::to_string(x.shape.size()));
    rows = x.shape.size() == 2 ? static_cast<size_t>(x.shape[0]) : 1;
    size_t stride = static_cast<size_t>(x.shape.back()), n = rows * stride;
    if (stride < width_)
      throw Error(ErrorCode::kInvalidInput, "the tree ensemble reads feature " +
                                                std::to_string(width_ - 1) + " but its input has " +
                                                std::to_string(stride) + " columns");
    std::vector<float> out(rows * outputs_);
    if (x.type == ElementType::kFloat) {
      model_.predict_margins(x.f.data(), rows, stride, out.data());
      return out;
    }
    if (x.type == ElementType::kString)
      throw Error(ErrorCode::kInvalidInput, "the tree ensemble's input cannot be strings");
    if (x.type == ElementType::kDouble && double_ == Rounding::kExactWalk) {
      exact_.predict_margins(x.d.data(), rows, stride, out.data());
      return out;
    }
    std::vector<float> f(n);
    if (x.type == ElementType::kDouble) {
      for (size_t i = 0; i < n; ++i) {
        double v = x.d[i];
        f[i] = static_cast<float>(v);
        if (double_ == Rounding::kUp && f[i] < v) f[i] = std::nextafter(f[i], INFINITY);
        if (double_ == Rounding::kDown && f[i] > v) f[i] = std::nextafter(f[i], -INFINITY);
      }
    } else {
      for (size_t i = 0; i < n; ++i) f[i] = static_cast<float>(x.i[i]);  // as onnxruntime
    }
    model_.predict_margins(f.data(), rows, stride, out.data());
    return out;
  }

 private:
  enum class Rounding { kUp, kDown, kExactWalk };
  CompiledModel model_, exact_;
  Rounding double_ = Rounding::kExactWalk;
  size_t width_ = 0, outputs_ = 0;
};

// TreeEnsembleRegressor and TreeEnsemble: scores per target, then the transform (which
// onnxruntime applies to a single target only when it is PROBIT).
class RegressorKernel : public Kernel {
 public:
  RegressorKernel(Spec spec, Post post, bool same_type_output)
      : targets_(spec.num_outputs),
        counter_(spec.num_outputs > 1 ? add_vote_counters(spec) : std::vector<int64_t>(1, -1)),
        engines_(std::move(spec)),
        post_(post),
        same_type_output_(same_type_output) {}

  void run(std::span<const Value* const> inputs, std::span<Value> outputs) const override {
    size_t rows = 0, width = engines_.outputs();
    std::vector<float> margins = engines_.run(inputs, rows);
    Tensor y;
    y.shape = {static_cast<int64_t>(rows), static_cast<int64_t>(targets_)};
    y.f.resize(rows * targets_);
    for (size_t r = 0; r < rows; ++r) {
      const float* m = margins.data() + r * width;
      float* v = y.f.data() + r * targets_;
      for (size_t t = 0; t < targets_; ++t)
        v[t] = counter_[t] < 0 || m[counter_[t]] > 0 ? m[t] : 0.0f;
      if (targets_ == 1) {
        if (post_ == Post::kProbit) v[0] = probit(v[0]);
      } else {
        transform(post_, v, targets_);
      }
    }
    const Tensor& x = std::get<Tensor>(*inputs[0]);
    if (same_type_output_ && x.type == ElementType::kDouble) {
      y.type = ElementType::kDouble;
      y.d.assign(y.f.begin(), y.f.end());
      y.f.clear();
    }
    outputs[0] = std::move(y);
  }

 private:
  size_t targets_;
  std::vector<int64_t> counter_;
  TreeEngines engines_;
  Post post_;
  bool same_type_output_;
};

std::unique_ptr<Kernel> make_regressor(const NodeContext& ctx) {
  Attributes a(ctx);
  ClassicTrees trees = classic_trees(ctx, a);
  int64_t targets = a.get_int("n_targets", 1);
  if (targets < 1 || targets > 100000)
    throw bad(ctx, "n_targets " + std::to_string(targets) + " is out of range");
  add_votes(ctx, a, "target", static_cast<size_t>(targets), trees);
  Spec spec;
  spec.trees = std::move(trees.trees);
  spec.num_outputs = static_cast<size_t>(targets);
  spec.aggregate = aggregate_from_name(ctx, a.get_string("aggregate_function", "SUM"));
  spec.base = numbers(ctx, a, "base_values");
  if (!spec.base.empty() && spec.base.size() != spec.num_outputs)
    throw bad(ctx, "base_values has " + std::to_string(spec.base.size()) + " values for " +
                       std::to_string(targets) + " targets");
  Post post = post_from_name(ctx, a.get_string("post_transform", "NONE"));
  return std::make_unique<RegressorKernel>(std::move(spec), post, false);
}

std::unique_ptr<Kernel> make_tree_ensemble(const NodeContext& ctx) {
  Attributes a(ctx);
  bool double_values = false;
  Spec spec = tree_ensemble_v5(ctx, a, &double_values);
  int64_t post = a.get_int("post_transform", 0);
  // onnxruntime 1.32 reads 1 as LOGISTIC and 2 as SOFTMAX (its own enum's order), where the
  // operator's documentation says 1 SOFTMAX, 2 LOGISTIC; onnxruntime is what users run.
  static const Post posts[] = {Post::kNone, Post::kLogistic, Post::kSoftmax, Post::kSoftmaxZero,
                               Post::kProbit};
  if (post < 0 || post > 4)
    throw bad(ctx, "post_transform " + std::to_string(post) +
                       " is not 0..4 (NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO, PROBIT)");
  return std::make_unique<RegressorKernel>(std::move(spec), posts[post], true);
}

// TreeEnsembleClassifier: votes summed per class; labels and scores as onnxruntime makes them.
class ClassifierKernel : public Kernel {
 public:
  ClassifierKernel(Spec spec, ClassifierPost post, std::vector<int64_t> int_labels,
                   std::vector<std::string> text_labels)
      : post_(std::move(post)),
        int_labels_(std::move(int_labels)),
        text_labels_(std::move(text_labels)),
        engines_(std::move(spec)) {}

  void run(std::span<const Value* const> inputs, std::span<Value> outputs) const override {
    size_t rows = 0, classes = post_.classes, width = engines_.outputs();
    std::vector<float> margins = engines_.run(inputs, rows);
    Tensor label, scores;
    label.type = text_labels_.empty() ? ElementType::kInt64 : ElementType::kString;
    label.shape = {static_cast<int64_t>(rows)};
    scores.shape = {static_cast<int64_t>(rows), static_cast<int64_t>(classes)};
    scores.f.resize(rows * classes);
    // Two classes that both get votes: onnxruntime's label is the class index itself.
    bool index_label = classes == 2 && !post_.binary_case;
    for (size_t r = 0; r < rows; ++r) {
      size_t k = post_.finish(margins.data() + r * width, scores.f.data() + r * classes);
      if (!text_labels_.empty())
        label.s.push_back(text_labels_[k]);
      else
        label.i.push_back(index_label ? static_cast<int64_t>(k) : int_labels_[k]);
    }
    outputs[0] = std::move(label);
    if (outputs.size() > 1) outputs[1] = std::move(scores);
  }

 private:
  ClassifierPost post_;
  std::vector<int64_t> int_labels_;
  std::vector<std::string> text_labels_;
  TreeEngines engines_;
};

std::unique_ptr<Kernel> make_classifier(const NodeContext& ctx) {
  Attributes a(ctx);
  auto int_labels = a.get_ints("classlabels_int64s");
  auto text_labels = a.get_strings("classlabels_strings");
  if (int_labels.empty() == text_labels.empty())
    throw bad(ctx, "exactly one of 'classlabels_int64s' and 'classlabels_strings' must be set");
  size_t classes = std::max(int_labels.size(), text_labels.size());
  if (classes < 2) throw bad(ctx, "a classifier needs at least 2 class labels");
  ClassicTrees trees = classic_trees(ctx, a);
  add_votes(ctx, a, "class", classes, trees);
  ClassifierPost post;
  post.classes = classes;
  post.post = post_from_name(ctx, a.get_string("post_transform", "NONE"));
  for (double b : numbers(ctx, a, "base_values")) post.base.push_back(static_cast<float>(b));
  if (!post.base.empty() && post.base.size() != classes && !(classes == 2 && post.base.size() == 1))
    throw bad(ctx, "base_values has " + std::to_string(post.base.size()) + " values for " +
                       std::to_string(classes) + " classes");
  std::set<uint32_t> ids;
  post.all_positive = true;
  for (const auto& tree : trees.trees)
    for (const auto& n : tree.nodes)
      for (auto [c, w] : n.adds) {
        ids.insert(c);
        post.all_positive &= w >= 0;
      }
  post.binary_case = classes == 2 && ids.size() == 1;
  Spec spec;
  spec.trees = std::move(trees.trees);
  spec.num_outputs = classes;
  post.counter = add_vote_counters(spec);
  return std::make_unique<ClassifierKernel>(std::move(spec), std::move(post), std::move(int_labels),
                                            std::move(text_labels));
}

}  // namespace

void add_tree_ops(std::vector<OpSupport>& ops) {
  ops.push_back({"ai.onnx.ml", "TreeEnsembleClassifier", 1, 4, make_classifier});
  ops.push_back({"ai.onnx.ml", "TreeEnsembleRegressor", 1, 4, make_regressor});
  ops.push_back({"ai.onnx.ml", "TreeEnsemble", 5, 5, make_tree_ensemble});
}

}  // namespace plinth::model::onnx
