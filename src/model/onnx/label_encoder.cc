// ai.onnx.ml LabelEncoder: a lookup table from keys to values with a default. Opset 1 maps
// strings to their index in classes_strings (and back); opset 2 takes keys_*/values_* lists of
// strings, int64s or floats; opset 4 adds the *_tensor forms (doubles among them).
#include <onnx/onnx_pb.h>

#include <cmath>
#include <unordered_map>

#include "model/onnx/ops_common.h"

namespace plinth::model::onnx::ops {
namespace {

using Inputs = std::span<const Value* const>;
using Outputs = std::span<Value>;

Tensor vector_tensor(ElementType type, size_t n) {
  return make_tensor(type, {static_cast<int64_t>(n)});
}

// The keys_* (or values_*) list the node has, as a tensor; nullopt when it has none.
std::optional<Tensor> list(const Attributes& attrs, const std::string& prefix) {
  if (auto t = attrs.get_tensor(prefix + "_tensor")) return t;
  if (attrs.has(prefix + "_strings")) {
    auto v = attrs.get_strings(prefix + "_strings");
    Tensor t = vector_tensor(ElementType::kString, v.size());
    t.s = v;
    return t;
  }
  if (attrs.has(prefix + "_int64s")) {
    auto v = attrs.get_ints(prefix + "_int64s");
    Tensor t = vector_tensor(ElementType::kInt64, v.size());
    t.i = v;
    return t;
  }
  if (attrs.has(prefix + "_floats")) {
    auto v = attrs.get_floats(prefix + "_floats");
    Tensor t = vector_tensor(ElementType::kFloat, v.size());
    t.f = v;
    return t;
  }
  return std::nullopt;
}

// The default for values of `type`: default_tensor, else default_string/int64/float.
Tensor default_value(const Attributes& attrs, ElementType type, const std::string& where) {
  if (auto t = attrs.get_tensor("default_tensor")) {
    if (t->type != type || t->elements() != 1)
      fail(where, "default_tensor must hold one value of the values' type");
    return *t;
  }
  Tensor d = make_tensor(type, {1});
  switch (storage_of(type)) {
    case Storage::kString:
      d.s[0] = attrs.get_string("default_string", "_Unused");
      break;
    case Storage::kInt:
      d.i[0] = attrs.get_int("default_int64", -1);
      break;
    case Storage::kFloat:
      d.f[0] = attrs.get_float("default_float", -0.0f);
      break;
    case Storage::kDouble:
      d.d[0] = attrs.get_float("default_float", -0.0f);
      break;
  }
  return d;
}

// Keys as text (strings), integers or reals (float and double keys, NaN matching NaN).
struct Table {
  ElementType key_type = ElementType::kString;
  std::unordered_map<std::string, size_t> text;
  std::unordered_map<int64_t, size_t> ints;
  std::unordered_map<double, size_t> reals;
  std::optional<size_t> nan;

  explicit Table(const Tensor& keys) : key_type(keys.type) {
    for (size_t k = keys.elements(); k-- > 0;) {  // the first of duplicate keys wins
      switch (storage_of(keys.type)) {
        case Storage::kString:
          text[keys.s[k]] = k;
          break;
        case Storage::kInt:
          ints[keys.i[k]] = k;
          break;
        default: {
          double v = number_at(keys, k);
          if (std::isnan(v))
            nan = k;
          else
            reals[v] = k;
        }
      }
    }
  }

  std::optional<size_t> find(const Tensor& x, size_t k) const {
    auto hit = [](const auto& map, const auto& key) -> std::optional<size_t> {
      auto it = map.find(key);
      return it == map.end() ? std::nullopt : std::optional(it->second);
    };
    switch (storage_of(x.type)) {
      case Storage::kString:
        return hit(text, x.s[k]);
      case Storage::kInt:
        return hit(ints, x.i[k]);
      default: {
        double v = number_at(x, k);
        return std::isnan(v) ? nan : hit(reals, v);
      }
    }
  }
};

std::unique_ptr<Kernel> make_label_encoder(const NodeContext& ctx) {
  Attributes attrs(ctx);
  std::optional<Tensor> keys, values;
  if (ctx.opset < 2) {  // classes_strings: string -> index, or index -> string
    auto classes = attrs.get_strings("classes_strings");
    Tensor names = vector_tensor(ElementType::kString, classes.size());
    names.s = classes;
    Tensor index = vector_tensor(ElementType::kInt64, classes.size());
    for (size_t k = 0; k < classes.size(); ++k) index.i[k] = static_cast<int64_t>(k);
    keys = names;
    values = index;
  } else {
    keys = list(attrs, "keys");
    values = list(attrs, "values");
    if (!keys || !values) fail(ctx.where(), "needs keys_* and values_* attributes");
    if (keys->elements() != values->elements())
      fail(ctx.where(), "has " + std::to_string(keys->elements()) + " keys but " +
                            std::to_string(values->elements()) + " values");
  }
  Table forward(*keys);
  Tensor fallback = default_value(attrs, values->type, ctx.where());
  // Opset 1 also runs backwards: int64 input gives the class name (default_string if none).
  std::optional<Table> backward;
  Tensor back_fallback;
  if (ctx.opset < 2) {
    backward.emplace(*values);
    back_fallback = default_value(attrs, ElementType::kString, ctx.where());
  }
  return kernel([=, keys = *keys, values = *values, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = tensor_input(in, 0, where);
    bool reverse = backward && storage_of(x.type) == Storage::kInt;
    const Table& table = reverse ? *backward : forward;
    const Tensor& to = reverse ? keys : values;
    const Tensor& none = reverse ? back_fallback : fallback;
    if (storage_of(x.type) != storage_of(table.key_type))
      fail(where, "has " + element_type_name(table.key_type) + " keys but the input is " +
                      element_type_name(x.type));
    Tensor y = make_tensor(to.type, x.shape);
    size_t n = x.elements();
    visit_storage(y, [&](auto& v) {
      using T = typename std::decay_t<decltype(v)>::value_type;
      const auto& src = data<T>(to);
      for (size_t k = 0; k < n; ++k) {
        auto hit = table.find(x, k);
        v[k] = hit ? src[*hit] : data<T>(none)[0];
      }
    });
    out[0] = std::move(y);
  });
}

}  // namespace

void add_label_encoder(std::vector<OpSupport>& ops) {
  ops.push_back({"ai.onnx.ml", "LabelEncoder", 1, 5, make_label_encoder});
}

}  // namespace plinth::model::onnx::ops
