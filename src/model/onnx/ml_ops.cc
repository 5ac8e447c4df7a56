// The ai.onnx.ml operators other than the tree ensembles, as onnxruntime computes them:
// preprocessing (Scaler, OneHotEncoder, Imputer, LabelEncoder, Normalizer, Binarizer,
// ArrayFeatureExtractor, FeatureVectorizer), linear models and ZipMap.
#include <onnx/onnx_pb.h>

#include <cmath>
#include <unordered_map>

#include "model/onnx/matmul.h"
#include "model/onnx/ops_common.h"
#include "model/onnx/tree_post.h"

namespace plinth::model::onnx {
namespace {

using ops::fail;
using ops::kernel;
using ops::Storage;
using ops::storage_of;
using Inputs = std::span<const Value* const>;
using Outputs = std::span<Value>;
constexpr const char* kMl = "ai.onnx.ml";

// A numeric tensor's values as float (the ml operators compute in float).
std::vector<float> as_floats(const Tensor& t, const std::string& where) {
  if (storage_of(t.type) == Storage::kFloat) return t.f;
  if (storage_of(t.type) == Storage::kString) fail(where, "takes numbers, not strings");
  std::vector<float> out(t.elements());
  for (size_t k = 0; k < out.size(); ++k) out[k] = static_cast<float>(ops::number_at(t, k));
  return out;
}

// Rows and columns of a [N, C] input ([C] counts as one row).
std::pair<size_t, size_t> rows_cols(const Tensor& t, const std::string& where) {
  if (t.shape.size() == 1) return {1, static_cast<size_t>(t.shape[0])};
  if (t.shape.size() == 2)
    return {static_cast<size_t>(t.shape[0]), static_cast<size_t>(t.shape[1])};
  fail(where, "takes [N, C] or [C], got " + ops::shape_text(t.shape));
}

Tensor float_tensor(std::vector<int64_t> shape, std::vector<float> values) {
  Tensor t;
  t.type = ElementType::kFloat;
  t.shape = std::move(shape);
  t.f = std::move(values);
  return t;
}

using trees::Post;

Post post_transform(const NodeContext& ctx) {
  std::string name = Attributes(ctx).get_string("post_transform", "NONE");
  if (name == "NONE") return Post::kNone;
  if (name == "LOGISTIC") return Post::kLogistic;
  if (name == "SOFTMAX") return Post::kSoftmax;
  if (name == "SOFTMAX_ZERO") return Post::kSoftmaxZero;
  if (name == "PROBIT") return Post::kProbit;
  fail(ctx.where(), "unknown post_transform '" + name + "'");
}

// The transform over each row of `scores` ([rows, cols]), as the tree ensembles apply it.
void apply_transform(Post post, std::vector<float>& scores, size_t cols) {
  if (post == Post::kNone || cols == 0) return;
  for (size_t r = 0; r < scores.size() / cols; ++r)
    trees::transform(post, scores.data() + r * cols, cols);
}

// coefficients [targets, features] laid out [features, targets] for gemm; throws unless they
// divide evenly.
std::vector<float> weights_for_gemm(const NodeContext& ctx, const std::vector<float>& coefficients,
                                    size_t targets) {
  if (targets == 0 || coefficients.empty() || coefficients.size() % targets != 0)
    fail(ctx.where(), "coefficients (" + std::to_string(coefficients.size()) +
                          ") are not a multiple of the targets (" + std::to_string(targets) + ")");
  size_t features = coefficients.size() / targets;
  std::vector<float> weights(features * targets);
  for (size_t t = 0; t < targets; ++t)
    for (size_t f = 0; f < features; ++f) weights[f * targets + t] = coefficients[t * features + f];
  return weights;
}

// Class labels: int64 or string, with `count` of them.
struct Labels {
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  bool text() const { return !strings.empty(); }
  size_t size() const { return text() ? strings.size() : ints.size(); }
};

Tensor label_tensor(const Labels& labels, const std::vector<size_t>& picks) {
  Tensor t;
  t.shape = {static_cast<int64_t>(picks.size())};
  if (labels.text()) {
    t.type = ElementType::kString;
    for (size_t p : picks) t.s.push_back(labels.strings[p]);
  } else {
    t.type = ElementType::kInt64;
    for (size_t p : picks) t.i.push_back(labels.ints[p]);
  }
  return t;
}

// X·Wᵀ + b for input 0 ([N, F] or [F]) with W laid out by weights_for_gemm: rows and scores.
std::pair<size_t, std::vector<float>> linear_scores(Inputs in, const std::vector<float>& weights,
                                                    const std::vector<float>& intercepts,
                                                    size_t features, const std::string& where) {
  const Tensor& x = ops::tensor_input(in, 0, where);
  auto [rows, cols] = rows_cols(x, where);
  if (cols != features)
    fail(where, "expects " + std::to_string(features) + " features, got " + std::to_string(cols));
  std::vector<float> input = as_floats(x, where);
  size_t targets = intercepts.size();
  std::vector<float> scores(rows * targets);
  ops::gemm(static_cast<int64_t>(rows), static_cast<int64_t>(targets),
            static_cast<int64_t>(features), input.data(), weights.data(), scores.data(),
            intercepts.data());
  return {rows, std::move(scores)};
}

std::unique_ptr<Kernel> make_linear_classifier(const NodeContext& ctx) {
  Attributes attrs(ctx);
  std::vector<float> coefficients = attrs.get_floats("coefficients");
  std::vector<float> intercepts = attrs.get_floats("intercepts");
  Labels labels{attrs.get_ints("classlabels_ints"), attrs.get_strings("classlabels_strings")};
  Post transform = post_transform(ctx);
  size_t targets = intercepts.size();  // one per class (or one for two classes)
  std::vector<float> weights = weights_for_gemm(ctx, coefficients, targets);
  bool binary = targets == 1 && labels.size() == 2;
  if (!binary && labels.size() != targets)
    fail(ctx.where(), "has " + std::to_string(labels.size()) + " class labels for " +
                          std::to_string(targets) + " intercepts");
  size_t features = coefficients.size() / targets;
  return kernel([=, where = ctx.where()](Inputs in, Outputs out) {
    auto [rows, scores] = linear_scores(in, weights, intercepts, features, where);
    std::vector<size_t> picks(rows);
    for (size_t r = 0; r < rows; ++r) {
      const float* row = scores.data() + r * targets;
      if (binary) {
        picks[r] = row[0] > 0 ? 1 : 0;
        continue;
      }
      size_t best = 0;
      for (size_t t = 1; t < targets; ++t)
        if (row[t] > row[best]) best = t;
      picks[r] = best;
    }
    apply_transform(transform, scores, targets);
    if (binary) {  // one score column s becomes [1 - s, s]
      std::vector<float> two(rows * 2);
      for (size_t r = 0; r < rows; ++r) {
        two[2 * r] = 1 - scores[r];
        two[2 * r + 1] = scores[r];
      }
      scores = std::move(two);
    }
    out[0] = label_tensor(labels, picks);
    if (out.size() > 1)
      out[1] =
          float_tensor({static_cast<int64_t>(rows), static_cast<int64_t>(binary ? 2 : targets)},
                       std::move(scores));
  });
}

std::unique_ptr<Kernel> make_linear_regressor(const NodeContext& ctx) {
  Attributes attrs(ctx);
  std::vector<float> coefficients = attrs.get_floats("coefficients");
  std::vector<float> intercepts = attrs.get_floats("intercepts");
  size_t targets = static_cast<size_t>(attrs.get_int("targets", 1));
  Post transform = post_transform(ctx);
  std::vector<float> weights = weights_for_gemm(ctx, coefficients, targets);
  if (intercepts.empty()) intercepts.assign(targets, 0);
  if (intercepts.size() != targets) fail(ctx.where(), "needs one intercept per target");
  size_t features = coefficients.size() / targets;
  return kernel([=, where = ctx.where()](Inputs in, Outputs out) {
    auto [rows, y] = linear_scores(in, weights, intercepts, features, where);
    apply_transform(transform, y, targets);
    out[0] =
        float_tensor({static_cast<int64_t>(rows), static_cast<int64_t>(targets)}, std::move(y));
  });
}

std::unique_ptr<Kernel> make_zipmap(const NodeContext& ctx) {
  Attributes attrs(ctx);
  MapSequence proto;
  proto.int_labels = attrs.get_ints("classlabels_int64s");
  proto.text_labels = attrs.get_strings("classlabels_strings");
  proto.int_keys = proto.text_labels.empty();
  if (proto.int_labels.empty() == proto.text_labels.empty())
    fail(ctx.where(), "needs exactly one of classlabels_int64s and classlabels_strings");
  size_t labels = proto.int_keys ? proto.int_labels.size() : proto.text_labels.size();
  return kernel([proto, labels, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = ops::tensor_input(in, 0, where);
    if (x.type != ElementType::kFloat) fail(where, "takes float scores");
    auto [rows, cols] = rows_cols(x, where);
    if (cols != labels)
      fail(where, "has " + std::to_string(labels) + " labels for " + std::to_string(cols) +
                      " score columns");
    MapSequence maps = proto;
    maps.rows = rows;
    maps.values = x.f;
    out[0] = std::move(maps);
  });
}

// A per-column parameter list: one value for every column, or one per column.
float per_column(const std::vector<float>& values, size_t column) {
  return values.size() == 1 ? values[0] : values[column];
}

std::unique_ptr<Kernel> make_scaler(const NodeContext& ctx) {
  Attributes attrs(ctx);
  std::vector<float> offset = attrs.get_floats("offset"), scale = attrs.get_floats("scale");
  if (offset.empty()) offset = {0};
  if (scale.empty()) scale = {1};
  return kernel([offset, scale, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = ops::tensor_input(in, 0, where);
    size_t cols = x.shape.empty() ? 1 : static_cast<size_t>(x.shape.back());
    if ((offset.size() != 1 && offset.size() != cols) ||
        (scale.size() != 1 && scale.size() != cols))
      fail(where, "has " + std::to_string(std::max(offset.size(), scale.size())) +
                      " offsets/scales for " + std::to_string(cols) + " columns");
    std::vector<float> y = as_floats(x, where);
    for (size_t k = 0; k < y.size(); ++k) {
      size_t c = cols ? k % cols : 0;
      y[k] = (y[k] - per_column(offset, c)) * per_column(scale, c);
    }
    out[0] = float_tensor(x.shape, std::move(y));
  });
}

std::unique_ptr<Kernel> make_normalizer(const NodeContext& ctx) {
  std::string norm = Attributes(ctx).get_string("norm", "MAX");
  if (norm != "MAX" && norm != "L1" && norm != "L2")
    fail(ctx.where(), "norm must be MAX, L1 or L2, not '" + norm + "'");
  return kernel([norm, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = ops::tensor_input(in, 0, where);
    auto [rows, cols] = rows_cols(x, where);
    std::vector<float> y = as_floats(x, where);
    for (size_t r = 0; r < rows; ++r) {
      float* row = y.data() + r * cols;
      float d = 0;
      if (norm == "MAX") {
        d = -std::numeric_limits<float>::max();
        for (size_t c = 0; c < cols; ++c) d = std::max(d, row[c]);
      } else {
        for (size_t c = 0; c < cols; ++c) d += norm == "L1" ? std::abs(row[c]) : row[c] * row[c];
        if (norm == "L2") d = std::sqrt(d);
      }
      if (d != 0)
        for (size_t c = 0; c < cols; ++c) row[c] /= d;
    }
    out[0] = float_tensor(x.shape, std::move(y));
  });
}

std::unique_ptr<Kernel> make_binarizer(const NodeContext& ctx) {
  double threshold = Attributes(ctx).get_float("threshold", 0);
  return kernel([threshold, where = ctx.where()](Inputs in, Outputs out) {
    Tensor y = ops::tensor_input(in, 0, where);
    ops::visit_storage(y, [&](auto& v) {
      using T = typename std::decay_t<decltype(v)>::value_type;
      if constexpr (std::is_same_v<T, std::string>)
        fail(where, "takes numbers, not strings");
      else
        for (auto& e : v) e = static_cast<double>(e) > threshold ? T(1) : T(0);
    });
    out[0] = std::move(y);
  });
}

std::unique_ptr<Kernel> make_imputer(const NodeContext& ctx) {
  Attributes attrs(ctx);
  std::vector<float> float_values = attrs.get_floats("imputed_value_floats");
  std::vector<int64_t> int_values = attrs.get_ints("imputed_value_int64s");
  float replaced_float = attrs.get_float("replaced_value_float", 0);
  int64_t replaced_int = attrs.get_int("replaced_value_int64", 0);
  if (float_values.empty() == int_values.empty())
    fail(ctx.where(), "needs exactly one of imputed_value_floats and imputed_value_int64s");
  return kernel([=, where = ctx.where()](Inputs in, Outputs out) {
    Tensor y = ops::tensor_input(in, 0, where);
    size_t cols = y.shape.empty() ? 1 : static_cast<size_t>(y.shape.back());
    size_t count = float_values.empty() ? int_values.size() : float_values.size();
    if (count != 1 && count != cols)
      fail(where, "has " + std::to_string(count) + " imputed values for " + std::to_string(cols) +
                      " columns");
    auto pick = [&](size_t k) { return count == 1 ? 0 : k % cols; };
    if (y.type == ElementType::kFloat && !float_values.empty()) {
      bool nan = std::isnan(replaced_float);
      for (size_t k = 0; k < y.f.size(); ++k)
        if (nan ? std::isnan(y.f[k]) : y.f[k] == replaced_float) y.f[k] = float_values[pick(k)];
    } else if (y.type == ElementType::kInt64 && !int_values.empty()) {
      for (size_t k = 0; k < y.i.size(); ++k)
        if (y.i[k] == replaced_int) y.i[k] = int_values[pick(k)];
    } else {
      fail(where, "imputes " + std::string(float_values.empty() ? "int64" : "float") +
                      " values but the input is " + element_type_name(y.type));
    }
    out[0] = std::move(y);
  });
}

std::unique_ptr<Kernel> make_one_hot_encoder(const NodeContext& ctx) {
  Attributes attrs(ctx);
  std::vector<int64_t> int_cats = attrs.get_ints("cats_int64s");
  std::vector<std::string> text_cats = attrs.get_strings("cats_strings");
  bool zeros = attrs.get_int("zeros", 1) != 0;
  if (int_cats.empty() == text_cats.empty())
    fail(ctx.where(), "needs exactly one of cats_int64s and cats_strings");
  std::unordered_map<int64_t, size_t> int_index;
  std::unordered_map<std::string, size_t> text_index;
  for (size_t k = 0; k < int_cats.size(); ++k) int_index.emplace(int_cats[k], k);
  for (size_t k = 0; k < text_cats.size(); ++k) text_index.emplace(text_cats[k], k);
  size_t n = int_cats.empty() ? text_cats.size() : int_cats.size();
  return kernel([=, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = ops::tensor_input(in, 0, where);
    std::vector<int64_t> shape = x.shape;
    shape.push_back(static_cast<int64_t>(n));
    Tensor y = ops::make_tensor(ElementType::kFloat, shape);
    size_t count = x.elements();
    bool text = x.type == ElementType::kString;
    if (text != !text_cats.empty())
      fail(where, "has " + std::string(text ? "int64" : "string") +
                      " categories but the input is " + element_type_name(x.type));
    for (size_t k = 0; k < count; ++k) {
      size_t hit = n;
      if (text) {
        auto it = text_index.find(x.s[k]);
        if (it != text_index.end()) hit = it->second;
      } else {
        double v = ops::number_at(x, k);
        auto it = int_index.find(ops::to_int64(v));
        if (it != int_index.end()) hit = it->second;
      }
      if (hit < n)
        y.f[k * n + hit] = 1;
      else if (!zeros)
        fail(where, "an input value is not one of the categories (zeros=0)");
    }
    out[0] = std::move(y);
  });
}

std::unique_ptr<Kernel> make_array_feature_extractor(const NodeContext& ctx) {
  return kernel([where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = ops::tensor_input(in, 0, where);
    const Tensor& indices = ops::tensor_input(in, 1, where);
    if (!ops::is_integer(indices.type)) fail(where, "the indices must be int64");
    if (x.shape.empty()) fail(where, "takes a tensor of rank 1 or more");
    int64_t cols = x.shape.back();
    size_t rows = cols ? x.elements() / static_cast<size_t>(cols) : 0;
    std::vector<int64_t> shape(x.shape.begin(), x.shape.end() - 1);
    if (shape.empty()) shape.push_back(1);
    shape.push_back(static_cast<int64_t>(indices.i.size()));
    for (int64_t j : indices.i)
      if (j < 0 || j >= cols)
        fail(where, "index " + std::to_string(j) + " is out of range for " + std::to_string(cols) +
                        " columns");
    Tensor y = ops::make_tensor(x.type, shape);
    ops::visit_storage(y, [&](auto& v) {
      using T = typename std::decay_t<decltype(v)>::value_type;
      const auto& src = ops::data<T>(x);
      size_t n = indices.i.size();
      for (size_t r = 0; r < rows; ++r)
        for (size_t k = 0; k < n; ++k)
          v[r * n + k] = src[r * static_cast<size_t>(cols) + static_cast<size_t>(indices.i[k])];
    });
    out[0] = std::move(y);
  });
}

std::unique_ptr<Kernel> make_feature_vectorizer(const NodeContext& ctx) {
  std::vector<int64_t> dims = Attributes(ctx).get_ints("inputdimensions");
  if (static_cast<int>(dims.size()) != ctx.node.input_size())
    fail(ctx.where(), "inputdimensions must list one size per input");
  for (int64_t d : dims)
    if (d < 0 || d > (int64_t{1} << 24))
      fail(ctx.where(), "inputdimensions holds " + std::to_string(d));
  return kernel([dims, where = ctx.where()](Inputs in, Outputs out) {
    size_t total = 0;
    for (int64_t d : dims) total += static_cast<size_t>(d);
    size_t rows = 0;
    for (size_t k = 0; k < in.size(); ++k) {
      const Tensor& x = ops::tensor_input(in, k, where);
      size_t r = x.shape.size() <= 1 ? 1 : static_cast<size_t>(x.shape[0]);
      if (k > 0 && r != rows) fail(where, "inputs differ in row count");
      rows = r;
    }
    std::vector<float> y(rows * total, 0.0f);
    size_t offset = 0;
    for (size_t k = 0; k < in.size(); ++k) {
      const Tensor& x = std::get<Tensor>(*in[k]);
      std::vector<float> v = as_floats(x, where);
      size_t width = rows ? v.size() / rows : 0, keep = std::min<size_t>(width, dims[k]);
      for (size_t r = 0; r < rows; ++r)
        std::copy_n(v.begin() + static_cast<ptrdiff_t>(r * width), keep,
                    y.begin() + static_cast<ptrdiff_t>(r * total + offset));
      offset += static_cast<size_t>(dims[k]);
    }
    out[0] = float_tensor({static_cast<int64_t>(rows), static_cast<int64_t>(total)}, std::move(y));
  });
}

}  // namespace

void add_ml_ops(std::vector<OpSupport>& ops) {
  ops.push_back({kMl, "LinearClassifier", 1, 5, make_linear_classifier});
  ops.push_back({kMl, "LinearRegressor", 1, 5, make_linear_regressor});
  ops.push_back({kMl, "ZipMap", 1, 5, make_zipmap});
  ops.push_back({kMl, "Scaler", 1, 5, make_scaler});
  ops.push_back({kMl, "Normalizer", 1, 5, make_normalizer});
  ops.push_back({kMl, "Binarizer", 1, 5, make_binarizer});
  ops.push_back({kMl, "Imputer", 1, 5, make_imputer});
  ops.push_back({kMl, "OneHotEncoder", 1, 5, make_one_hot_encoder});
  ops.push_back({kMl, "ArrayFeatureExtractor", 1, 5, make_array_feature_extractor});
  ops.push_back({kMl, "FeatureVectorizer", 1, 5, make_feature_vectorizer});
  ops::add_label_encoder(ops);
}

}  // namespace plinth::model::onnx
