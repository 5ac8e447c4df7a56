// The ai.onnx operators: Cast, Identity, Dropout, Constant and ConstantOfShape here, the rest in
// shape_ops.cc, elementwise_ops.cc and network_ops.cc.
#include <onnx/onnx_pb.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "model/onnx/ops_common.h"

namespace plinth::model::onnx {
namespace {

using ops::fail;
using ops::kernel;
using ops::Storage;
using ops::storage_of;
using Inputs = std::span<const Value* const>;
using Outputs = std::span<Value>;

// A real converted to an integer type as onnxruntime on x86-64 does (bool: non-zero is true).
int64_t to_integer(double v, ElementType to) {
  if (to == ElementType::kBool) return v != 0;
  return ops::to_int64(v);
}

// Narrows a widened integer to what `to` holds (int32 wraps, bool is 0 or 1, ...).
int64_t narrow(int64_t v, ElementType to) {
  switch (to) {
    case ElementType::kBool:
      return v != 0;
    case ElementType::kInt32:
      return static_cast<int32_t>(static_cast<uint32_t>(v));
    case ElementType::kInt8:
      return static_cast<int8_t>(static_cast<uint8_t>(v));
    case ElementType::kUint8:
      return static_cast<uint8_t>(v);
    default:
      return v;
  }
}

std::string number_text(double v, bool is_float) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "INF" : "-INF";
  char buf[64];
  auto r = is_float ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v))
                    : std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

double parse_number(const std::string& s, const std::string& where) {
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size())
    fail(where, "cannot cast the string '" + s + "' to a number");
  return v;
}

Tensor cast(const Tensor& x, ElementType to, const std::string& where) {
  Tensor y = ops::make_tensor(to, x.shape);
  size_t n = x.elements();
  Storage from = storage_of(x.type);
  auto value = [&](size_t k) {
    return from == Storage::kString ? parse_number(x.s[k], where) : ops::number_at(x, k);
  };
  switch (storage_of(to)) {
    case Storage::kFloat:
      if (from == Storage::kFloat)
        y.f = x.f;
      else if (from == Storage::kDouble)
        for (size_t k = 0; k < n; ++k) y.f[k] = static_cast<float>(x.d[k]);
      else
        for (size_t k = 0; k < n; ++k) y.f[k] = static_cast<float>(value(k));
      break;
    case Storage::kDouble:
      for (size_t k = 0; k < n; ++k) y.d[k] = value(k);
      break;
    case Storage::kInt:
      if (from == Storage::kInt)
        for (size_t k = 0; k < n; ++k) y.i[k] = narrow(x.i[k], to);
      else
        for (size_t k = 0; k < n; ++k) y.i[k] = narrow(to_integer(value(k), to), to);
      break;
    case Storage::kString:
      if (from == Storage::kString)
        y.s = x.s;
      else if (from == Storage::kInt)
        for (size_t k = 0; k < n; ++k) y.s[k] = std::to_string(x.i[k]);
      else
        for (size_t k = 0; k < n; ++k) y.s[k] = number_text(value(k), from == Storage::kFloat);
      break;
  }
  return y;
}

std::unique_ptr<Kernel> make_cast(const NodeContext& ctx) {
  int64_t to = Attributes(ctx).require_int("to");
  if (!ops::held_type(static_cast<ElementType>(to)))
    fail(ctx.where(), "casts to " + element_type_name(static_cast<ElementType>(to)) +
                          ", which Plinth does not hold (float, double, int64, int32, int8, "
                          "uint8, bool and string)");
  return kernel([to = static_cast<ElementType>(to), where = ctx.where()](Inputs in, Outputs out) {
    out[0] = cast(ops::tensor_input(in, 0, where), to, where);
  });
}

// Identity, and Dropout at inference: the input unchanged (Dropout's mask all true).
std::unique_ptr<Kernel> make_identity(const NodeContext& ctx) {
  return kernel([where = ctx.where()](Inputs in, Outputs out) {
    if (ops::has_input(in, 0) && std::holds_alternative<MapSequence>(*in[0])) {
      out[0] = *in[0];
      return;
    }
    const Tensor& x = ops::tensor_input(in, 0, where);
    if (out.size() > 1) {
      Tensor mask = ops::make_tensor(ElementType::kBool, x.shape);
      std::fill(mask.i.begin(), mask.i.end(), 1);
      out[1] = std::move(mask);
    }
    out[0] = x;
  });
}

Tensor scalar_or_vector(ElementType type, bool vector, size_t n) {
  return ops::make_tensor(
      type, vector ? std::vector<int64_t>{static_cast<int64_t>(n)} : std::vector<int64_t>{});
}

std::unique_ptr<Kernel> make_constant(const NodeContext& ctx) {
  Attributes attrs(ctx);
  Tensor value;
  if (auto t = attrs.get_tensor("value")) {
    value = *t;
  } else if (attrs.has("value_float")) {
    value = scalar_or_vector(ElementType::kFloat, false, 1);
    value.f[0] = attrs.get_float("value_float", 0);
  } else if (attrs.has("value_floats")) {
    auto v = attrs.get_floats("value_floats");
    value = scalar_or_vector(ElementType::kFloat, true, v.size());
    value.f = v;
  } else if (attrs.has("value_int")) {
    value = scalar_or_vector(ElementType::kInt64, false, 1);
    value.i[0] = attrs.get_int("value_int", 0);
  } else if (attrs.has("value_ints")) {
    auto v = attrs.get_ints("value_ints");
    value = scalar_or_vector(ElementType::kInt64, true, v.size());
    value.i = v;
  } else if (attrs.has("value_string")) {
    value = scalar_or_vector(ElementType::kString, false, 1);
    value.s[0] = attrs.get_string("value_string", "");
  } else if (attrs.has("value_strings")) {
    auto v = attrs.get_strings("value_strings");
    value = scalar_or_vector(ElementType::kString, true, v.size());
    value.s = v;
  } else {
    fail(ctx.where(), "has no value (sparse_value is not supported)");
  }
  return kernel([value](Inputs, Outputs out) { out[0] = value; });
}

std::unique_ptr<Kernel> make_constant_of_shape(const NodeContext& ctx) {
  Tensor fill = ops::make_tensor(ElementType::kFloat, {1});
  if (auto t = Attributes(ctx).get_tensor("value")) fill = *t;
  if (fill.elements() != 1) fail(ctx.where(), "value must hold one element");
  return kernel([fill, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& shape = ops::tensor_input(in, 0, where);
    if (!ops::is_integer(shape.type)) fail(where, "the shape must be int64");
    if (ops::checked_elements(shape.i, where) > (size_t{1} << 28))
      fail(where, "the shape " + ops::shape_text(shape.i) + " holds more than 2^28 elements");
    Tensor y = ops::make_tensor(fill.type, shape.i);
    ops::visit_storage(y, [&](auto& v) {
      using T = typename std::decay_t<decltype(v)>::value_type;
      std::fill(v.begin(), v.end(), ops::data<T>(fill)[0]);
    });
    out[0] = std::move(y);
  });
}

}  // namespace

void add_tensor_ops(std::vector<OpSupport>& ops) {
  ops.push_back({"", "Cast", 6, 21, make_cast});
  ops.push_back({"", "Identity", 1, 21, make_identity});
  ops.push_back({"", "Dropout", 1, 21, make_identity});
  ops.push_back({"", "Constant", 1, 21, make_constant});
  ops.push_back({"", "ConstantOfShape", 9, 21, make_constant_of_shape});
  ops::add_shape_ops(ops);
  ops::add_elementwise_ops(ops);
  ops::add_network_ops(ops);
}

}  // namespace plinth::model::onnx
