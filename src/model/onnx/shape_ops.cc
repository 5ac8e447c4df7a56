// Operators that move elements without computing on them: Concat, Reshape, Flatten, Transpose,
// Gather, Slice, Split, Squeeze, Unsqueeze, Shape.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <limits>

#include "model/onnx/ops_common.h"

namespace plinth::model::onnx::ops {
namespace {

using Inputs = std::span<const Value* const>;
using Outputs = std::span<Value>;

// Copies `count` elements of `src` from `from` into `dst` at `to` (same storage class).
void copy_range(const Tensor& src, size_t from, size_t count, Tensor& dst, size_t to) {
  visit_storage(dst, [&](auto& out) {
    using T = typename std::decay_t<decltype(out)>::value_type;
    const auto& in = data<T>(src);
    std::copy_n(in.begin() + static_cast<ptrdiff_t>(from), count,
                out.begin() + static_cast<ptrdiff_t>(to));
  });
}

// `src` with element k of the result taken from src[index[k]].
Tensor take(const Tensor& src, std::vector<int64_t> shape, const std::vector<size_t>& index) {
  Tensor out = make_tensor(src.type, std::move(shape));
  visit_storage(out, [&](auto& v) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    const auto& in = data<T>(src);
    for (size_t k = 0; k < index.size(); ++k) v[k] = in[index[k]];
  });
  return out;
}

Tensor reshaped(const Tensor& src, std::vector<int64_t> shape) {
  Tensor out = src;
  out.shape = std::move(shape);
  return out;
}

// An integer input read at run (constants are read the same way), nullopt when omitted.
std::optional<std::vector<int64_t>> ints_input(Inputs in, size_t index, const std::string& where) {
  if (!has_input(in, index)) return std::nullopt;
  const Tensor& t = tensor_input(in, index, where);
  if (!is_integer(t.type))
    fail(where, "input " + std::to_string(index) + " must hold integers, not " +
                    element_type_name(t.type));
  return t.i;
}

// The same for an input the node cannot do without.
std::vector<int64_t> required_ints(Inputs in, size_t index, const std::string& where) {
  auto values = ints_input(in, index, where);
  if (!values) fail(where, "input " + std::to_string(index) + " is missing");
  return *values;
}

std::unique_ptr<Kernel> make_concat(const NodeContext& ctx) {
  int64_t axis = Attributes(ctx).require_int("axis");
  return kernel([axis, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& first = tensor_input(in, 0, where);
    int64_t rank = static_cast<int64_t>(first.shape.size());
    size_t a = static_cast<size_t>(normalize_axis(axis, rank, where));
    std::vector<int64_t> shape = first.shape;
    shape[a] = 0;
    for (size_t k = 0; k < in.size(); ++k) {
      const Tensor& t = tensor_input(in, k, where);
      if (t.type != first.type)
        fail(where,
             "inputs mix " + element_type_name(first.type) + " and " + element_type_name(t.type));
      bool same = t.shape.size() == first.shape.size();
      for (size_t d = 0; same && d < t.shape.size(); ++d)
        same = d == a || t.shape[d] == first.shape[d];
      if (!same)
        fail(where, "cannot concatenate " + shape_text(first.shape) + " and " +
                        shape_text(t.shape) + " along axis " + std::to_string(a));
      shape[a] += t.shape[a];
    }
    Tensor result = make_tensor(first.type, shape);
    size_t outer = product(shape, 0, a), row = product(shape, a, shape.size()), offset = 0;
    for (size_t k = 0; k < in.size(); ++k) {
      const Tensor& t = std::get<Tensor>(*in[k]);
      size_t chunk = product(t.shape, a, t.shape.size());
      for (size_t o = 0; o < outer; ++o) copy_range(t, o * chunk, chunk, result, o * row + offset);
      offset += chunk;
    }
    out[0] = std::move(result);
  });
}

std::unique_ptr<Kernel> make_reshape(const NodeContext& ctx) {
  bool allow_zero = Attributes(ctx).get_int("allowzero", 0) != 0;
  return kernel([allow_zero, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = tensor_input(in, 0, where);
    std::vector<int64_t> shape = required_ints(in, 1, where);
    int64_t known = 1, infer = -1;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 0 && !allow_zero) {
        if (d >= x.shape.size()) fail(where, "shape has 0 at axis " + std::to_string(d));
        shape[d] = x.shape[d];
      }
      if (shape[d] == -1) {
        if (infer >= 0) fail(where, "shape " + shape_text(shape) + " has two -1");
        infer = static_cast<int64_t>(d);
      } else if (shape[d] < 0) {
        fail(where, "shape has a negative size");
      } else if (__builtin_mul_overflow(known, shape[d], &known)) {
        fail(where, "shape " + shape_text(shape) + " is too large");
      }
    }
    int64_t total = static_cast<int64_t>(x.elements());
    if (infer >= 0) shape[infer] = known == 0 ? 0 : total / known;
    if (static_cast<int64_t>(product(shape, 0, shape.size())) != total)
      fail(where, "cannot reshape " + shape_text(x.shape) + " to " + shape_text(shape));
    out[0] = reshaped(x, shape);
  });
}

std::unique_ptr<Kernel> make_flatten(const NodeContext& ctx) {
  int64_t axis = Attributes(ctx).get_int("axis", 1);
  return kernel([axis, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = tensor_input(in, 0, where);
    int64_t rank = static_cast<int64_t>(x.shape.size());
    size_t a = static_cast<size_t>(axis == rank ? rank : normalize_axis(axis, rank, where));
    out[0] = reshaped(x, {static_cast<int64_t>(product(x.shape, 0, a)),
                          static_cast<int64_t>(product(x.shape, a, x.shape.size()))});
  });
}

std::unique_ptr<Kernel> make_transpose(const NodeContext& ctx) {
  std::vector<int64_t> perm = Attributes(ctx).get_ints("perm");
  return kernel([perm, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = tensor_input(in, 0, where);
    size_t rank = x.shape.size();
    std::vector<int64_t> p = perm;
    if (p.empty())
      for (size_t d = rank; d-- > 0;) p.push_back(static_cast<int64_t>(d));
    std::vector<int64_t> sorted = p;
    std::sort(sorted.begin(), sorted.end());
    for (size_t d = 0; d < sorted.size(); ++d)
      if (sorted.size() != rank || sorted[d] != static_cast<int64_t>(d))
        fail(where, "perm is not a permutation of the input's " + std::to_string(rank) + " axes");
    std::vector<int64_t> shape(rank);
    std::vector<size_t> in_stride(rank), stride(rank);
    for (size_t d = rank, s = 1; d-- > 0;) {
      in_stride[d] = s;
      s *= static_cast<size_t>(x.shape[d]);
    }
    for (size_t d = 0; d < rank; ++d) {
      shape[d] = x.shape[p[d]];
      stride[d] = in_stride[p[d]];
    }
    std::vector<size_t> index(x.elements());
    std::vector<int64_t> at(rank, 0);
    size_t src = 0;
    for (size_t k = 0; k < index.size(); ++k) {
      index[k] = src;
      for (size_t d = rank; d-- > 0;) {
        src += stride[d];
        if (++at[d] < shape[d]) break;
        src -= stride[d] * static_cast<size_t>(shape[d]);
        at[d] = 0;
      }
    }
    out[0] = take(x, shape, index);
  });
}

std::unique_ptr<Kernel> make_gather(const NodeContext& ctx) {
  int64_t axis = Attributes(ctx).get_int("axis", 0);
  return kernel([axis, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = tensor_input(in, 0, where);
    const Tensor& indices = tensor_input(in, 1, where);
    if (!is_integer(indices.type)) fail(where, "indices must be integers");
    size_t a =
        static_cast<size_t>(normalize_axis(axis, static_cast<int64_t>(x.shape.size()), where));
    std::vector<int64_t> shape(x.shape.begin(), x.shape.begin() + a);
    shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
    shape.insert(shape.end(), x.shape.begin() + a + 1, x.shape.end());
    Tensor result = make_tensor(x.type, shape);
    size_t outer = product(x.shape, 0, a), inner = product(x.shape, a + 1, x.shape.size());
    int64_t dim = x.shape[a];
    size_t n = indices.i.size(), to = 0;
    for (size_t o = 0; o < outer; ++o)
      for (size_t k = 0; k < n; ++k, to += inner) {
        int64_t j = indices.i[k] < 0 ? indices.i[k] + dim : indices.i[k];
        if (j < 0 || j >= dim)
          fail(where, "index " + std::to_string(indices.i[k]) + " is out of range for size " +
                          std::to_string(dim));
        copy_range(x, (o * static_cast<size_t>(dim) + static_cast<size_t>(j)) * inner, inner,
                   result, to);
      }
    out[0] = std::move(result);
  });
}

std::unique_ptr<Kernel> make_slice(const NodeContext& ctx) {
  Attributes attrs(ctx);
  bool from_inputs = ctx.opset >= 10;
  std::vector<int64_t> a_starts = attrs.get_ints("starts"), a_ends = attrs.get_ints("ends"),
                       a_axes = attrs.get_ints("axes");
  return kernel([=, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = tensor_input(in, 0, where);
    std::vector<int64_t> starts = from_inputs ? required_ints(in, 1, where) : a_starts;
    std::vector<int64_t> ends = from_inputs ? required_ints(in, 2, where) : a_ends;
    std::vector<int64_t> axes = from_inputs ? ints_input(in, 3, where).value_or(a_axes) : a_axes;
    std::vector<int64_t> steps;
    if (from_inputs) steps = ints_input(in, 4, where).value_or(std::vector<int64_t>{});
    size_t rank = x.shape.size();
    if (axes.empty())
      for (size_t d = 0; d < starts.size(); ++d) axes.push_back(static_cast<int64_t>(d));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() ||
        steps.size() != starts.size())
      fail(where, "starts, ends, axes and steps differ in length");
    std::vector<int64_t> first(rank, 0), step(rank, 1), shape = x.shape;
    for (size_t k = 0; k < starts.size(); ++k) {
      size_t d = static_cast<size_t>(normalize_axis(axes[k], static_cast<int64_t>(rank), where));
      int64_t dim = x.shape[d], s = starts[k], e = ends[k], st = steps[k];
      if (st == 0) fail(where, "a slice step is 0");
      st = std::max<int64_t>(st, -std::numeric_limits<int64_t>::max());  // so -st exists
      if (s < 0) s += dim;
      if (e < 0) e += dim;
      if (st > 0) {
        s = std::clamp<int64_t>(s, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        shape[d] = e > s ? (e - s - 1) / st + 1 : 0;
      } else {
        s = std::clamp<int64_t>(s, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        shape[d] = s > e ? (s - e - 1) / -st + 1 : 0;
      }
      first[d] = s;
      step[d] = st;
    }
    size_t total = product(shape, 0, rank);
    std::vector<size_t> index(total);
    std::vector<int64_t> at(rank, 0);
    std::vector<int64_t> in_stride(rank);
    for (size_t d = rank, s = 1; d-- > 0;) {
      in_stride[d] = static_cast<int64_t>(s);
      s *= static_cast<size_t>(x.shape[d]);
    }
    for (size_t k = 0; k < total; ++k) {
      int64_t src = 0;
      for (size_t d = 0; d < rank; ++d) src += (first[d] + at[d] * step[d]) * in_stride[d];
      index[k] = static_cast<size_t>(src);
      for (size_t d = rank; d-- > 0;) {
        if (++at[d] < shape[d]) break;
        at[d] = 0;
      }
    }
    out[0] = take(x, shape, index);
  });
}

std::unique_ptr<Kernel> make_split(const NodeContext& ctx) {
  Attributes attrs(ctx);
  int64_t axis = attrs.get_int("axis", 0);
  std::vector<int64_t> attr_split = attrs.get_ints("split");
  int64_t parts = ctx.node.output_size();
  if (parts < 1) fail(ctx.where(), "has no outputs");
  bool input_split = ctx.opset >= 13;
  return kernel([=, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = tensor_input(in, 0, where);
    size_t a =
        static_cast<size_t>(normalize_axis(axis, static_cast<int64_t>(x.shape.size()), where));
    int64_t dim = x.shape[a];
    std::vector<int64_t> sizes =
        input_split ? ints_input(in, 1, where).value_or(std::vector<int64_t>{}) : attr_split;
    if (sizes.empty()) {
      int64_t each = (dim + parts - 1) / parts;  // the last part is smaller (opset 18)
      for (int64_t p = 0; p < parts; ++p) sizes.push_back(std::min(each, dim - p * each));
    }
    int64_t sum = 0;
    for (int64_t size : sizes)
      if (size < 0 || __builtin_add_overflow(sum, size, &sum))
        fail(where, "a split size is negative or too large");
    if (static_cast<int64_t>(sizes.size()) != parts || sum != dim)
      fail(where, "split sizes do not add up to " + std::to_string(dim));
    size_t outer = product(x.shape, 0, a), inner = product(x.shape, a + 1, x.shape.size());
    int64_t offset = 0;
    for (int64_t p = 0; p < parts; ++p) {
      std::vector<int64_t> shape = x.shape;
      shape[a] = sizes[p];
      Tensor part = make_tensor(x.type, shape);
      size_t chunk = static_cast<size_t>(sizes[p]) * inner;
      for (size_t o = 0; o < outer; ++o)
        copy_range(x, (o * static_cast<size_t>(dim) + static_cast<size_t>(offset)) * inner, chunk,
                   part, o * chunk);
      offset += sizes[p];
      out[p] = std::move(part);
    }
  });
}

std::unique_ptr<Kernel> make_squeeze(const NodeContext& ctx) {
  std::vector<int64_t> attr_axes = Attributes(ctx).get_ints("axes");
  return kernel([ctx_opset = ctx.opset, attr_axes, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = tensor_input(in, 0, where);
    auto axes = ctx_opset < 13 ? (attr_axes.empty() ? std::nullopt : std::optional(attr_axes))
                               : ints_input(in, 1, where);
    int64_t rank = static_cast<int64_t>(x.shape.size());
    std::vector<bool> drop(x.shape.size(), false);
    if (axes) {
      for (int64_t axis : *axes) {
        size_t d = static_cast<size_t>(normalize_axis(axis, rank, where));
        if (x.shape[d] != 1)
          fail(where, "cannot squeeze axis " + std::to_string(axis) + " of " + shape_text(x.shape));
        drop[d] = true;
      }
    } else {
      for (size_t d = 0; d < x.shape.size(); ++d) drop[d] = x.shape[d] == 1;
    }
    std::vector<int64_t> shape;
    for (size_t d = 0; d < x.shape.size(); ++d)
      if (!drop[d]) shape.push_back(x.shape[d]);
    out[0] = reshaped(x, shape);
  });
}

std::unique_ptr<Kernel> make_unsqueeze(const NodeContext& ctx) {
  std::vector<int64_t> attr_axes = Attributes(ctx).get_ints("axes");
  int64_t opset = ctx.opset;
  return kernel([opset, attr_axes, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = tensor_input(in, 0, where);
    std::vector<int64_t> axes = opset < 13 ? attr_axes : required_ints(in, 1, where);
    int64_t rank = static_cast<int64_t>(x.shape.size() + axes.size());
    std::vector<bool> added(static_cast<size_t>(rank), false);
    for (int64_t axis : axes) {
      size_t d = static_cast<size_t>(normalize_axis(axis, rank, where));
      if (added[d]) fail(where, "axis " + std::to_string(axis) + " is listed twice");
      added[d] = true;
    }
    std::vector<int64_t> shape;
    size_t next = 0;
    for (int64_t d = 0; d < rank; ++d) shape.push_back(added[d] ? 1 : x.shape[next++]);
    out[0] = reshaped(x, shape);
  });
}

std::unique_ptr<Kernel> make_shape(const NodeContext& ctx) {
  Attributes attrs(ctx);
  int64_t start = attrs.get_int("start", 0), end = attrs.get_int("end", INT64_MAX);
  return kernel([start, end, where = ctx.where()](Inputs in, Outputs out) {
    const Tensor& x = tensor_input(in, 0, where);
    int64_t rank = static_cast<int64_t>(x.shape.size());
    int64_t s = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
    int64_t e = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
    Tensor result;
    result.type = ElementType::kInt64;
    if (e > s) result.i.assign(x.shape.begin() + s, x.shape.begin() + e);
    result.shape = {static_cast<int64_t>(result.i.size())};
    out[0] = std::move(result);
  });
}

}  // namespace

void add_shape_ops(std::vector<OpSupport>& ops) {
  ops.push_back({"", "Concat", 4, 21, make_concat});
  ops.push_back({"", "Reshape", 5, 21, make_reshape});
  ops.push_back({"", "Flatten", 1, 21, make_flatten});
  ops.push_back({"", "Transpose", 1, 21, make_transpose});
  ops.push_back({"", "Gather", 1, 21, make_gather});
  ops.push_back({"", "Slice", 1, 21, make_slice});
  ops.push_back({"", "Split", 2, 21, make_split});
  ops.push_back({"", "Squeeze", 1, 21, make_squeeze});
  ops.push_back({"", "Unsqueeze", 1, 21, make_unsqueeze});
  ops.push_back({"", "Shape", 1, 21, make_shape});
}

}  // namespace plinth::model::onnx::ops
