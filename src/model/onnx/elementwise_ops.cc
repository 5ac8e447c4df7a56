// Elementwise operators with NumPy broadcasting: arithmetic, comparisons, Where, Clip, the
// variadic Sum/Min/Max/Mean, and the unary functions (activations included).
#include <onnx/onnx_pb.h>

#include <cmath>
#include <limits>

#include "model/onnx/ops_common.h"

namespace plinth::model::onnx::ops {
namespace {

using Inputs = std::span<const Value* const>;
using Outputs = std::span<Value>;

// out[k] = op(a[.], b[.]) over the broadcast of the shapes; R is the result's element type.
template <typename R, typename T, typename Op>
void broadcast_loop(const Tensor& a, const Tensor& b, const std::vector<int64_t>& shape,
                    std::vector<R>& out, Op op) {
  const auto& x = data<T>(a);
  const auto& y = data<T>(b);
  size_t n = out.size();
  if (a.shape == b.shape) {
    for (size_t k = 0; k < n; ++k) out[k] = op(x[k], y[k]);
  } else if (y.size() == 1 && x.size() == n) {
    const T v = y[0];
    for (size_t k = 0; k < n; ++k) out[k] = op(x[k], v);
  } else if (x.size() == 1 && y.size() == n) {
    const T v = x[0];
    for (size_t k = 0; k < n; ++k) out[k] = op(v, y[k]);
  } else {
    for_each_broadcast(a.shape, b.shape, shape,
                       [&](size_t o, size_t i, size_t j) { out[o] = op(x[i], y[j]); });
  }
}

// Integer arithmetic wraps instead of overflowing (constant folding sees untrusted constants).
template <typename T>
T wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  else
    return a + b;
}
template <typename T>
T wrap_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
  else
    return a - b;
}
template <typename T>
T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  else
    return a * b;
}
template <typename T>
T safe_div(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if (b == 0) return 0;
    if (b == -1) return wrap_sub<T>(0, a);
  }
  return a / b;
}

enum class Arith { kAdd, kSub, kMul, kDiv, kPow, kMin, kMax };
enum class Compare { kGreater, kLess, kEqual, kGreaterOrEqual, kLessOrEqual, kAnd, kOr, kXor };

template <typename T>
void arith_typed(Arith op, const Tensor& a, const Tensor& b, Tensor& out) {
  auto& o = data<T>(out);
  switch (op) {
    case Arith::kAdd:
      return broadcast_loop<T, T>(a, b, out.shape, o, [](T x, T y) { return wrap_add(x, y); });
    case Arith::kSub:
      return broadcast_loop<T, T>(a, b, out.shape, o, [](T x, T y) { return wrap_sub(x, y); });
    case Arith::kMul:
      return broadcast_loop<T, T>(a, b, out.shape, o, [](T x, T y) { return wrap_mul(x, y); });
    case Arith::kDiv:
      return broadcast_loop<T, T>(a, b, out.shape, o, [](T x, T y) { return safe_div(x, y); });
    case Arith::kMin:
      return broadcast_loop<T, T>(a, b, out.shape, o, [](T x, T y) {
        return x != x ? x : (y < x || y != y ? y : x);  // NaN propagates, as in onnxruntime
      });
    case Arith::kMax:
      return broadcast_loop<T, T>(a, b, out.shape, o,
                                  [](T x, T y) { return x != x ? x : (y > x || y != y ? y : x); });
    case Arith::kPow:
      return broadcast_loop<T, T>(a, b, out.shape, o, [](T x, T y) {
        double r = std::pow(static_cast<double>(x), static_cast<double>(y));
        if constexpr (std::is_integral_v<T>)
          return to_int64(r);
        else
          return static_cast<T>(r);
      });
  }
}

Tensor arith(Arith op, const Tensor& a, const Tensor& b, const std::string& where) {
  Tensor base = a;  // Pow may take an exponent of another type: convert it to the base's
  const Tensor* rhs = &b;
  Tensor converted;
  if (a.type != b.type) {
    if (op != Arith::kPow || storage_of(a.type) == Storage::kString ||
        storage_of(b.type) == Storage::kString)
      fail(where, "inputs mix " + element_type_name(a.type) + " and " + element_type_name(b.type));
    converted = make_tensor(a.type, b.shape);
    for (size_t k = 0; k < b.elements(); ++k)
      visit_storage(converted, [&](auto& v) {
        using T = typename std::decay_t<decltype(v)>::value_type;
        if constexpr (std::is_same_v<T, int64_t>)
          v[k] = to_int64(number_at(b, k));
        else if constexpr (!std::is_same_v<T, std::string>)
          v[k] = static_cast<T>(number_at(b, k));
      });
    rhs = &converted;
  }
  Tensor out = make_uninitialized(a.type, broadcast_shapes(a.shape, rhs->shape, where));
  switch (storage_of(a.type)) {
    case Storage::kFloat:
      arith_typed<float>(op, a, *rhs, out);
      break;
    case Storage::kDouble:
      arith_typed<double>(op, a, *rhs, out);
      break;
    case Storage::kInt:
      arith_typed<int64_t>(op, a, *rhs, out);
      break;
    case Storage::kString:
      fail(where, "arithmetic on strings");
  }
  return out;
}

template <typename T>
void compare_typed(Compare op, const Tensor& a, const Tensor& b, Tensor& out) {
  auto& o = out.i;
  auto run = [&](auto f) { broadcast_loop<int64_t, T>(a, b, out.shape, o, f); };
  switch (op) {
    case Compare::kGreater:
      return run([](const T& x, const T& y) -> int64_t { return x > y; });
    case Compare::kLess:
      return run([](const T& x, const T& y) -> int64_t { return x < y; });
    case Compare::kEqual:
      return run([](const T& x, const T& y) -> int64_t { return x == y; });
    case Compare::kGreaterOrEqual:
      return run([](const T& x, const T& y) -> int64_t { return x >= y; });
    case Compare::kLessOrEqual:
      return run([](const T& x, const T& y) -> int64_t { return x <= y; });
    case Compare::kAnd:
      return run([](const T& x, const T& y) -> int64_t { return x != T{} && y != T{}; });
    case Compare::kOr:
      return run([](const T& x, const T& y) -> int64_t { return x != T{} || y != T{}; });
    case Compare::kXor:
      return run([](const T& x, const T& y) -> int64_t { return (x != T{}) != (y != T{}); });
  }
}

Tensor compare(Compare op, const Tensor& a, const Tensor& b, const std::string& where) {
  if (a.type != b.type)
    fail(where, "inputs mix " + element_type_name(a.type) + " and " + element_type_name(b.type));
  Tensor out = make_tensor(ElementType::kBool, broadcast_shapes(a.shape, b.shape, where));
  switch (storage_of(a.type)) {
    case Storage::kFloat:
      compare_typed<float>(op, a, b, out);
      break;
    case Storage::kDouble:
      compare_typed<double>(op, a, b, out);
      break;
    case Storage::kInt:
      compare_typed<int64_t>(op, a, b, out);
      break;
    case Storage::kString:
      if (op != Compare::kEqual) fail(where, "only Equal compares strings");
      compare_typed<std::string>(op, a, b, out);
      break;
  }
  return out;
}

OpSupport arith_op(const std::string& name, Arith op, int64_t since) {
  return {"", name, since, 21, [op](const NodeContext& ctx) {
            return kernel([op, where = ctx.where()](Inputs in, Outputs out) {
              out[0] = arith(op, tensor_input(in, 0, where), tensor_input(in, 1, where), where);
            });
          }};
}

// Sum, Min, Max, Mean: a fold of the binary operator over any number of inputs.
OpSupport variadic_op(const std::string& name, Arith op, bool mean) {
  return {"", name, 8, 21, [op, mean](const NodeContext& ctx) {
            return kernel([op, mean, where = ctx.where()](Inputs in, Outputs out) {
              Tensor acc = tensor_input(in, 0, where);
              for (size_t k = 1; k < in.size(); ++k)
                acc = arith(op, acc, tensor_input(in, k, where), where);
              if (mean) {
                Tensor count = make_tensor(acc.type, {});
                visit_storage(count, [&](auto& v) {
                  using T = typename std::decay_t<decltype(v)>::value_type;
                  if constexpr (!std::is_same_v<T, std::string>) v[0] = static_cast<T>(in.size());
                });
                acc = arith(Arith::kDiv, acc, count, where);
              }
              out[0] = std::move(acc);
            });
          }};
}

OpSupport compare_op(const std::string& name, Compare op, int64_t since) {
  return {"", name, since, 21, [op](const NodeContext& ctx) {
            return kernel([op, where = ctx.where()](Inputs in, Outputs out) {
              out[0] = compare(op, tensor_input(in, 0, where), tensor_input(in, 1, where), where);
            });
          }};
}

// A unary function on float/double (and, where `ints` is set, on integers).
template <typename F>
OpSupport unary_op(const std::string& name, int64_t since, bool ints, F f) {
  return {"", name, since, 21, [f, ints](const NodeContext& ctx) {
            return kernel([f, ints, where = ctx.where()](Inputs in, Outputs out) {
              const Tensor& x = tensor_input(in, 0, where);
              Tensor y = make_uninitialized(x.type, x.shape);
              switch (storage_of(x.type)) {
                case Storage::kFloat:
                  for (size_t k = 0; k < x.f.size(); ++k) y.f[k] = static_cast<float>(f(x.f[k]));
                  break;
                case Storage::kDouble:
                  for (size_t k = 0; k < x.d.size(); ++k) y.d[k] = f(x.d[k]);
                  break;
                case Storage::kInt:
                  if (!ints) fail(where, "does not take " + element_type_name(x.type));
                  for (size_t k = 0; k < x.i.size(); ++k)
                    y.i[k] = to_int64(f(static_cast<double>(x.i[k])));
                  break;
                case Storage::kString:
                  fail(where, "does not take strings");
              }
              out[0] = std::move(y);
            });
          }};
}

// Relu, LeakyRelu, Sigmoid, Tanh: the same code the fused dense layers apply (matmul.cc).
OpSupport activation_op(const std::string& name, Activation act) {
  return {"", name, 6, 21, [act](const NodeContext& ctx) {
            float alpha = Attributes(ctx).get_float("alpha", 0.01f);
            return kernel([act, alpha, where = ctx.where()](Inputs in, Outputs out) {
              const Tensor& x = tensor_input(in, 0, where);
              Tensor y = make_uninitialized(x.type, x.shape);
              int64_t n = static_cast<int64_t>(x.elements());
              switch (storage_of(x.type)) {
                case Storage::kFloat:
                  std::copy(x.f.begin(), x.f.end(), y.f.begin());
                  activate(y.f.data(), n, act, alpha);
                  break;
                case Storage::kDouble:
                  std::copy(x.d.begin(), x.d.end(), y.d.begin());
                  activate(y.d.data(), n, act, alpha);
                  break;
                case Storage::kInt:  // Relu takes integers from opset 14
                  if (act != Activation::kRelu) fail(where, "takes float or double");
                  for (size_t k = 0; k < x.i.size(); ++k) y.i[k] = std::max<int64_t>(x.i[k], 0);
                  break;
                case Storage::kString:
                  fail(where, "does not take strings");
              }
              out[0] = std::move(y);
            });
          }};
}

std::unique_ptr<Kernel> make_where(const NodeContext& ctx) {
  return kernel([where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& c = tensor_input(in, 0, where);
    const Tensor& x = tensor_input(in, 1, where);
    const Tensor& y = tensor_input(in, 2, where);
    if (c.type != ElementType::kBool) fail(where, "the condition must be bool");
    if (x.type != y.type)
      fail(where, "inputs mix " + element_type_name(x.type) + " and " + element_type_name(y.type));
    // Broadcast the condition against x first, then pick from y where it is false.
    Tensor picked = make_tensor(x.type, broadcast_shapes(c.shape, x.shape, where));
    std::vector<int64_t> cond(picked.elements());
    for_each_broadcast(c.shape, x.shape, picked.shape, [&](size_t o, size_t i, size_t j) {
      cond[o] = c.i[i];
      visit_storage(picked, [&](auto& v) {
        using T = typename std::decay_t<decltype(v)>::value_type;
        v[o] = data<T>(x)[j];
      });
    });
    Tensor cond_t = make_tensor(ElementType::kBool, picked.shape);
    cond_t.i = std::move(cond);
    Tensor result = make_tensor(x.type, broadcast_shapes(picked.shape, y.shape, where));
    for_each_broadcast(cond_t.shape, y.shape, result.shape, [&](size_t o, size_t i, size_t j) {
      visit_storage(result, [&](auto& v) {
        using T = typename std::decay_t<decltype(v)>::value_type;
        v[o] = cond_t.i[i] ? data<T>(picked)[i] : data<T>(y)[j];
      });
    });
    out[0] = std::move(result);
  });
}

std::unique_ptr<Kernel> make_clip(const NodeContext& ctx) {
  Attributes attrs(ctx);
  bool from_inputs = ctx.opset >= 11;
  float attr_min = attrs.get_float("min", -std::numeric_limits<float>::infinity());
  float attr_max = attrs.get_float("max", std::numeric_limits<float>::infinity());
  return kernel([=, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = tensor_input(in, 0, where);
    if (storage_of(x.type) == Storage::kString) fail(where, "does not take strings");
    double lo = attr_min, hi = attr_max;
    if (from_inputs) {
      lo = -std::numeric_limits<double>::infinity();
      hi = std::numeric_limits<double>::infinity();
      if (has_input(in, 1)) lo = number_at(tensor_input(in, 1, where), 0);
      if (has_input(in, 2)) hi = number_at(tensor_input(in, 2, where), 0);
    }
    Tensor y = x;
    visit_storage(y, [&](auto& v) {
      using T = typename std::decay_t<decltype(v)>::value_type;
      if constexpr (!std::is_same_v<T, std::string>) {
        auto bound = [](double v, T fallback) {
          if (std::isnan(v) || std::isinf(v)) return fallback;
          if constexpr (std::is_same_v<T, int64_t>)
            return to_int64(v);
          else
            return static_cast<T>(v);
        };
        T l = bound(lo, std::numeric_limits<T>::lowest());
        T h = bound(hi, std::numeric_limits<T>::max());
        for (auto& e : v) e = e < l ? l : (e > h ? h : e);
      }
    });
    out[0] = std::move(y);
  });
}

std::unique_ptr<Kernel> make_not(const NodeContext& ctx) {
  return kernel([where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = tensor_input(in, 0, where);
    if (x.type != ElementType::kBool) fail(where, "takes bool");
    Tensor y = x;
    for (auto& v : y.i) v = v == 0;
    out[0] = std::move(y);
  });
}

}  // namespace

void add_elementwise_ops(std::vector<OpSupport>& ops) {
  ops.push_back(arith_op("Add", Arith::kAdd, 7));
  ops.push_back(arith_op("Sub", Arith::kSub, 7));
  ops.push_back(arith_op("Mul", Arith::kMul, 7));
  ops.push_back(arith_op("Div", Arith::kDiv, 7));
  ops.push_back(arith_op("Pow", Arith::kPow, 7));
  ops.push_back(variadic_op("Sum", Arith::kAdd, false));
  ops.push_back(variadic_op("Mean", Arith::kAdd, true));
  ops.push_back(variadic_op("Min", Arith::kMin, false));
  ops.push_back(variadic_op("Max", Arith::kMax, false));
  ops.push_back(compare_op("Greater", Compare::kGreater, 7));
  ops.push_back(compare_op("Less", Compare::kLess, 7));
  ops.push_back(compare_op("Equal", Compare::kEqual, 7));
  ops.push_back(compare_op("GreaterOrEqual", Compare::kGreaterOrEqual, 12));
  ops.push_back(compare_op("LessOrEqual", Compare::kLessOrEqual, 12));
  ops.push_back(compare_op("And", Compare::kAnd, 7));
  ops.push_back(compare_op("Or", Compare::kOr, 7));
  ops.push_back(compare_op("Xor", Compare::kXor, 7));
  ops.push_back({"", "Not", 1, 21, make_not});
  ops.push_back({"", "Where", 9, 21, make_where});
  ops.push_back({"", "Clip", 6, 21, make_clip});
  ops.push_back(unary_op("Exp", 6, false, [](auto x) { return std::exp(x); }));
  ops.push_back(unary_op("Log", 6, false, [](auto x) { return std::log(x); }));
  ops.push_back(unary_op("Sqrt", 6, false, [](auto x) { return std::sqrt(x); }));
  ops.push_back(unary_op("Reciprocal", 6, false, [](auto x) { return 1 / x; }));
  ops.push_back(unary_op("Floor", 6, false, [](auto x) { return std::floor(x); }));
  ops.push_back(unary_op("Ceil", 6, false, [](auto x) { return std::ceil(x); }));
  ops.push_back(unary_op("Round", 11, false, [](auto x) { return std::nearbyint(x); }));
  ops.push_back(unary_op("Erf", 9, false, [](auto x) { return std::erf(x); }));
  ops.push_back(unary_op("Abs", 6, true, [](auto x) { return std::fabs(x); }));
  ops.push_back(unary_op("Neg", 6, true, [](auto x) { return -x; }));
  ops.push_back(activation_op("Relu", Activation::kRelu));
  ops.push_back(activation_op("LeakyRelu", Activation::kLeakyRelu));
  ops.push_back(activation_op("Sigmoid", Activation::kSigmoid));
  ops.push_back(activation_op("Tanh", Activation::kTanh));
  ops.push_back(unary_op("Softplus", 1, false, [](auto x) { return std::log1p(std::exp(x)); }));
}

}  // namespace plinth::model::onnx::ops
