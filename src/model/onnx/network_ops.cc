// Operators of neural networks and of classifier heads: MatMul, Gemm, Softmax, LogSoftmax,
// BatchNormalization, ArgMax/ArgMin and the Reduce family.
#include <onnx/onnx_pb.h>

#include <cmath>
#include <limits>

#include "model/onnx/matmul.h"
#include "model/onnx/ops_common.h"

namespace plinth::model::onnx::ops {
namespace {

using Inputs = std::span<const Value* const>;
using Outputs = std::span<Value>;

void require_real(const Tensor& t, const std::string& where) {
  auto s = storage_of(t.type);
  if (s != Storage::kFloat && s != Storage::kDouble)
    fail(where, "takes float or double, not " + element_type_name(t.type));
}

// NumPy matmul: 1-D operands are promoted and the added axis dropped; batch axes broadcast.
Tensor matmul(const Tensor& a, const Tensor& b, const std::string& where) {
  require_real(a, where);
  if (a.type != b.type)
    fail(where, "inputs mix " + element_type_name(a.type) + " and " + element_type_name(b.type));
  if (a.shape.empty() || b.shape.empty()) fail(where, "takes tensors of rank 1 or more");
  std::vector<int64_t> as = a.shape, bs = b.shape;
  bool a_vector = as.size() == 1, b_vector = bs.size() == 1;
  if (a_vector) as.insert(as.begin(), 1);
  if (b_vector) bs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k)
    fail(where, "cannot multiply " + shape_text(a.shape) + " by " + shape_text(b.shape));
  std::vector<int64_t> a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  std::vector<int64_t> shape = broadcast_shapes(a_batch, b_batch, where);
  size_t batches = product(shape, 0, shape.size());
  if (b_batch.empty() && !a_batch.empty()) {  // [.., M, K] x [K, N]: one big product
    m *= static_cast<int64_t>(product(a_batch, 0, a_batch.size()));
    batches = 1;
  }
  std::vector<int64_t> out_shape = shape;
  if (!a_vector) out_shape.push_back(as[as.size() - 2]);
  if (!b_vector) out_shape.push_back(n);
  Tensor out = make_tensor(a.type, out_shape);
  size_t mk = static_cast<size_t>(m * k), kn = static_cast<size_t>(k * n),
         mn = static_cast<size_t>(m * n);
  auto run = [&](size_t o, size_t i, size_t j) {
    if (a.type == ElementType::kFloat)
      gemm(m, n, k, a.f.data() + i * mk, b.f.data() + j * kn, out.f.data() + o * mn, nullptr);
    else
      gemm(m, n, k, a.d.data() + i * mk, b.d.data() + j * kn, out.d.data() + o * mn, nullptr);
  };
  if (batches == 1 || shape.empty())
    run(0, 0, 0);
  else
    for_each_broadcast(a_batch, b_batch, shape, run);
  return out;
}

std::unique_ptr<Kernel> make_matmul(const NodeContext& ctx) {
  return kernel([where = ctx.where()](Inputs in, Outputs out) {
    out[0] = matmul(tensor_input(in, 0, where), tensor_input(in, 1, where), where);
  });
}

// The transposed copy of a 2-D tensor.
Tensor transposed(const Tensor& t) {
  int64_t r = t.shape[0], c = t.shape[1];
  Tensor out = make_tensor(t.type, {c, r});
  visit_storage(out, [&](auto& v) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    const auto& in = data<T>(t);
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < c; ++j) v[j * r + i] = in[i * c + j];
  });
  return out;
}

std::unique_ptr<Kernel> make_gemm(const NodeContext& ctx) {
  Attributes attrs(ctx);
  float alpha = attrs.get_float("alpha", 1), beta = attrs.get_float("beta", 1);
  bool trans_a = attrs.get_int("transA", 0), trans_b = attrs.get_int("transB", 0);
  // A constant B is laid out as [K, N] once, here.
  std::optional<Tensor> packed_b;
  if (auto b = ctx.constants.find(ctx.node.input(1));
      b != ctx.constants.end() && b->second.shape.size() == 2)
    packed_b = trans_b ? transposed(b->second) : b->second;
  return kernel([=, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& a_in = tensor_input(in, 0, where);
    require_real(a_in, where);
    if (a_in.shape.size() != 2) fail(where, "A must be 2-D, got " + shape_text(a_in.shape));
    Tensor a_t, b_t;
    const Tensor& a = trans_a ? (a_t = transposed(a_in)) : a_in;
    const Tensor* b = packed_b ? &*packed_b : nullptr;
    if (!b) {
      const Tensor& b_in = tensor_input(in, 1, where);
      if (b_in.shape.size() != 2) fail(where, "B must be 2-D, got " + shape_text(b_in.shape));
      b = trans_b ? &(b_t = transposed(b_in)) : &b_in;
    }
    if (a.type != b->type) fail(where, "A and B differ in type");
    int64_t m = a.shape[0], k = a.shape[1], n = b->shape[1];
    if (b->shape[0] != k)
      fail(where, "cannot multiply " + shape_text(a.shape) + " by " + shape_text(b->shape));
    Tensor y = make_tensor(a.type, {m, n});
    const Tensor* c = has_input(in, 2) && beta != 0 ? &tensor_input(in, 2, where) : nullptr;
    bool row_bias = c && c->type == a.type && beta == 1 &&
                    (c->shape == std::vector<int64_t>{n} || c->shape == std::vector<int64_t>{1, n});
    if (a.type == ElementType::kFloat)
      gemm(m, n, k, a.f.data(), b->f.data(), y.f.data(), row_bias ? c->f.data() : nullptr);
    else
      gemm(m, n, k, a.d.data(), b->d.data(), y.d.data(), row_bias ? c->d.data() : nullptr);
    if (alpha != 1)
      visit_storage(y, [&](auto& v) {
        using T = typename std::decay_t<decltype(v)>::value_type;
        if constexpr (!std::is_same_v<T, std::string>)
          for (auto& e : v) e *= static_cast<T>(alpha);
      });
    if (c && !row_bias) {
      if (c->type != a.type) fail(where, "C differs in type from A");
      std::vector<int64_t> shape = broadcast_shapes(y.shape, c->shape, where);
      if (shape != y.shape) fail(where, "C " + shape_text(c->shape) + " does not broadcast to Y");
      for_each_broadcast(y.shape, c->shape, shape, [&](size_t o, size_t, size_t j) {
        if (a.type == ElementType::kFloat)
          y.f[o] += beta * c->f[j];
        else
          y.d[o] += beta * c->d[j];
      });
    }
    out[0] = std::move(y);
  });
}

// Softmax or LogSoftmax along `axis`; before opset 13 the input is coerced to 2-D at `axis`.
std::unique_ptr<Kernel> make_softmax(const NodeContext& ctx, bool log) {
  bool legacy = ctx.opset < 13;
  int64_t axis = Attributes(ctx).get_int("axis", legacy ? 1 : -1);
  return kernel([=, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = tensor_input(in, 0, where);
    require_real(x, where);
    size_t a =
        static_cast<size_t>(normalize_axis(axis, static_cast<int64_t>(x.shape.size()), where));
    size_t outer = product(x.shape, 0, a);
    size_t n = legacy ? product(x.shape, a, x.shape.size()) : static_cast<size_t>(x.shape[a]);
    size_t inner = legacy ? 1 : product(x.shape, a + 1, x.shape.size());
    Tensor y = make_uninitialized(x.type, x.shape);
    visit_storage(y, [&](auto& v) {
      using T = typename std::decay_t<decltype(v)>::value_type;
      if constexpr (std::is_floating_point_v<T>) {
        std::copy(data<T>(x).begin(), data<T>(x).end(), v.begin());
        for (size_t o = 0; o < outer; ++o)
          for (size_t i = 0; i < inner; ++i) {
            T* p = v.data() + o * n * inner + i;
            T top = -std::numeric_limits<T>::infinity();
            for (size_t k = 0; k < n; ++k) top = std::max(top, p[k * inner]);
            T sum = 0;
            for (size_t k = 0; k < n; ++k) {
              T e = std::exp(p[k * inner] - top);
              sum += e;
              if (!log) p[k * inner] = e;
            }
            for (size_t k = 0; k < n; ++k)
              p[k * inner] = log ? p[k * inner] - top - std::log(sum) : p[k * inner] / sum;
          }
      }
    });
    out[0] = std::move(y);
  });
}

std::unique_ptr<Kernel> make_batch_norm(const NodeContext& ctx) {
  Attributes attrs(ctx);
  double epsilon = attrs.get_float("epsilon", 1e-5f);
  if (attrs.get_int("training_mode", 0))
    fail(ctx.where(), "training_mode=1 is not inference; export the model in eval mode");
  return kernel([epsilon, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = tensor_input(in, 0, where);
    require_real(x, where);
    if (x.shape.size() < 2) fail(where, "X must have a channel axis");
    size_t channels = static_cast<size_t>(x.shape[1]);
    std::vector<double> mul(channels), add(channels);
    for (size_t c = 0; c < channels; ++c) {
      double scale = number_at(tensor_input(in, 1, where), c);
      double bias = number_at(tensor_input(in, 2, where), c);
      double mean = number_at(tensor_input(in, 3, where), c);
      double var = number_at(tensor_input(in, 4, where), c);
      mul[c] = scale / std::sqrt(var + epsilon);
      add[c] = bias - mean * mul[c];
    }
    for (size_t k = 1; k <= 4; ++k)
      if (tensor_input(in, k, where).elements() != channels)
        fail(where, "input " + std::to_string(k) + " must hold one value per channel");
    size_t inner = product(x.shape, 2, x.shape.size());
    Tensor y = x;
    visit_storage(y, [&](auto& v) {
      using T = typename std::decay_t<decltype(v)>::value_type;
      if constexpr (std::is_floating_point_v<T>)
        for (size_t k = 0; k < v.size(); ++k) {
          size_t c = (k / inner) % channels;
          v[k] = static_cast<T>(v[k] * static_cast<T>(mul[c]) + static_cast<T>(add[c]));
        }
    });
    out[0] = std::move(y);
  });
}

std::unique_ptr<Kernel> make_arg(const NodeContext& ctx, bool max) {
  Attributes attrs(ctx);
  int64_t axis = attrs.get_int("axis", 0);
  bool keepdims = attrs.get_int("keepdims", 1), last = attrs.get_int("select_last_index", 0);
  return kernel([=, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = tensor_input(in, 0, where);
    if (storage_of(x.type) == Storage::kString) fail(where, "does not take strings");
    size_t a =
        static_cast<size_t>(normalize_axis(axis, static_cast<int64_t>(x.shape.size()), where));
    size_t outer = product(x.shape, 0, a), n = static_cast<size_t>(x.shape[a]),
           inner = product(x.shape, a + 1, x.shape.size());
    if (n == 0) fail(where, "the axis is empty");
    std::vector<int64_t> shape = x.shape;
    if (keepdims)
      shape[a] = 1;
    else
      shape.erase(shape.begin() + static_cast<ptrdiff_t>(a));
    Tensor y = make_tensor(ElementType::kInt64, shape);
    for (size_t o = 0; o < outer; ++o)
      for (size_t i = 0; i < inner; ++i) {
        size_t base = o * n * inner + i, best = 0;
        double top = number_at(x, base);
        for (size_t k = 1; k < n; ++k) {
          double v = number_at(x, base + k * inner);
          if (max ? (v > top || (last && v == top)) : (v < top || (last && v == top))) {
            top = v;
            best = k;
          }
        }
        y.i[o * inner + i] = static_cast<int64_t>(best);
      }
    out[0] = std::move(y);
  });
}

enum class Reduce { kSum, kMean, kMax, kMin };

// ReduceX: axes from the attribute before `input_since`, from input 1 from then on.
OpSupport reduce_op(const std::string& name, Reduce op, int64_t input_since) {
  return {
      "", name, 1, 21, [=](const NodeContext& ctx) {
        Attributes attrs(ctx);
        bool keepdims = attrs.get_int("keepdims", 1);
        bool noop_empty = attrs.get_int("noop_with_empty_axes", 0);
        std::vector<int64_t> attr_axes = attrs.get_ints("axes");
        bool from_input = ctx.opset >= input_since;
        return kernel([=, where = ctx.where()](Inputs in, Outputs out) {
          const Tensor& x = tensor_input(in, 0, where);
          require_real(x, where);
          std::vector<int64_t> axes = attr_axes;
          if (from_input && has_input(in, 1)) axes = tensor_input(in, 1, where).i;
          if (axes.empty() && from_input && noop_empty) {
            out[0] = x;
            return;
          }
          size_t rank = x.shape.size();
          std::vector<bool> reduced(rank, axes.empty());
          for (int64_t axis : axes)
            reduced[static_cast<size_t>(normalize_axis(axis, static_cast<int64_t>(rank), where))] =
                true;
          std::vector<int64_t> kept_shape, out_shape;
          for (size_t d = 0; d < rank; ++d) {
            kept_shape.push_back(reduced[d] ? 1 : x.shape[d]);
            if (!reduced[d] || keepdims) out_shape.push_back(kept_shape.back());
          }
          size_t count = x.elements() / std::max<size_t>(1, product(kept_shape, 0, rank));
          std::vector<double> acc(product(kept_shape, 0, rank), op == Reduce::kMax   ? -INFINITY
                                                                : op == Reduce::kMin ? INFINITY
                                                                                     : 0.0);
          // Walk the input, mapping each element to its output cell (stride 0 on reduced axes).
          for_each_broadcast(x.shape, kept_shape, x.shape, [&](size_t o, size_t, size_t j) {
            double v = number_at(x, o);
            if (op == Reduce::kMax)
              acc[j] = std::max(acc[j], v);
            else if (op == Reduce::kMin)
              acc[j] = std::min(acc[j], v);
            else
              acc[j] += v;
          });
          Tensor y = make_tensor(x.type, out_shape);
          for (size_t k = 0; k < acc.size(); ++k) {
            double v = op == Reduce::kMean ? acc[k] / static_cast<double>(count) : acc[k];
            if (x.type == ElementType::kFloat)
              y.f[k] = static_cast<float>(v);
            else
              y.d[k] = v;
          }
          out[0] = std::move(y);
        });
      }};
}

}  // namespace

void add_network_ops(std::vector<OpSupport>& ops) {
  ops.push_back({"", "MatMul", 1, 21, make_matmul});
  ops.push_back({"", "Gemm", 7, 21, make_gemm});
  ops.push_back(
      {"", "Softmax", 1, 21, [](const NodeContext& c) { return make_softmax(c, false); }});
  ops.push_back(
      {"", "LogSoftmax", 1, 21, [](const NodeContext& c) { return make_softmax(c, true); }});
  ops.push_back({"", "BatchNormalization", 9, 21, make_batch_norm});
  ops.push_back({"", "ArgMax", 1, 21, [](const NodeContext& c) { return make_arg(c, true); }});
  ops.push_back({"", "ArgMin", 1, 21, [](const NodeContext& c) { return make_arg(c, false); }});
  ops.push_back(reduce_op("ReduceSum", Reduce::kSum, 13));
  ops.push_back(reduce_op("ReduceMean", Reduce::kMean, 18));
  ops.push_back(reduce_op("ReduceMax", Reduce::kMax, 18));
  ops.push_back(reduce_op("ReduceMin", Reduce::kMin, 18));
}

}  // namespace plinth::model::onnx::ops
