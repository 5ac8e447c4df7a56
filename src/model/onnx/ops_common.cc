#include "model/onnx/ops_common.h"

#include <onnx/onnx_pb.h>

#include <limits>

namespace plinth::model::onnx::ops {

Storage storage_of(ElementType type) {
  switch (type) {
    case ElementType::kFloat:
      return Storage::kFloat;
    case ElementType::kDouble:
      return Storage::kDouble;
    case ElementType::kString:
      return Storage::kString;
    default:
      return Storage::kInt;
  }
}

bool is_integer(ElementType type) { return storage_of(type) == Storage::kInt; }

bool held_type(ElementType type) {
  switch (type) {
    case ElementType::kFloat:
    case ElementType::kDouble:
    case ElementType::kInt64:
    case ElementType::kInt32:
    case ElementType::kInt8:
    case ElementType::kUint8:
    case ElementType::kBool:
    case ElementType::kString:
      return true;
    default:
      return false;
  }
}

size_t product(const std::vector<int64_t>& shape, size_t from, size_t to) {
  size_t n = 1;
  for (size_t k = from; k < to; ++k) n *= static_cast<size_t>(shape[k]);
  return n;
}

template <>
std::vector<float>& data<float>(Tensor& t) {
  return t.f;
}
template <>
std::vector<double>& data<double>(Tensor& t) {
  return t.d;
}
template <>
std::vector<int64_t>& data<int64_t>(Tensor& t) {
  return t.i;
}
template <>
std::vector<std::string>& data<std::string>(Tensor& t) {
  return t.s;
}
template <>
const std::vector<float>& data<float>(const Tensor& t) {
  return t.f;
}
template <>
const std::vector<double>& data<double>(const Tensor& t) {
  return t.d;
}
template <>
const std::vector<int64_t>& data<int64_t>(const Tensor& t) {
  return t.i;
}
template <>
const std::vector<std::string>& data<std::string>(const Tensor& t) {
  return t.s;
}

Tensor make_tensor(ElementType type, std::vector<int64_t> shape) {
  Tensor t;
  t.type = type;
  t.shape = std::move(shape);
  size_t n = t.elements();
  visit_storage(t, [n](auto& v) { v.resize(n); });
  return t;
}

namespace {

// Per thread, so runs on different threads never contend; bounded so a large batch does not
// stay resident after it is done.
constexpr size_t kPoolBytes = size_t{32} << 20, kPoolBuffers = 8, kPoolMinBytes = 16 << 10;
thread_local std::vector<std::vector<float>> pool;
thread_local size_t pool_bytes = 0;

}  // namespace

void recycle(std::vector<float>&& buffer) {
  size_t bytes = buffer.capacity() * sizeof(float);
  if (bytes < kPoolMinBytes || pool.size() >= kPoolBuffers || pool_bytes + bytes > kPoolBytes)
    return;
  pool_bytes += bytes;
  pool.push_back(std::move(buffer));
}

Tensor make_uninitialized(ElementType type, std::vector<int64_t> shape) {
  if (type != ElementType::kFloat) return make_tensor(type, std::move(shape));
  Tensor t;
  t.type = type;
  t.shape = std::move(shape);
  size_t n = t.elements();
  size_t best = pool.size();  // the smallest pooled buffer that holds n
  for (size_t k = 0; k < pool.size(); ++k)
    if (pool[k].capacity() >= n &&
        (best == pool.size() || pool[k].capacity() < pool[best].capacity()))
      best = k;
  if (best < pool.size()) {
    t.f = std::move(pool[best]);
    pool_bytes -= t.f.capacity() * sizeof(float);
    pool.erase(pool.begin() + static_cast<ptrdiff_t>(best));
  }
  t.f.resize(n);  // writes only past the buffer's old size
  return t;
}

int64_t to_int64(double v) {
  if (!(v > -9.2233720368547758e18 && v < 9.2233720368547758e18))
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

size_t checked_elements(const std::vector<int64_t>& shape, const std::string& where) {
  uint64_t n = 1;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(n, static_cast<uint64_t>(d), &n) || n > (uint64_t{1} << 32))
      fail(where, "shape " + shape_text(shape) + " is negative or too large");
  return static_cast<size_t>(n);
}

double number_at(const Tensor& t, size_t k) {
  switch (storage_of(t.type)) {
    case Storage::kFloat:
      return t.f[k];
    case Storage::kDouble:
      return t.d[k];
    case Storage::kInt:
      return static_cast<double>(t.i[k]);
    default:
      return 0;
  }
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t k = 0; k < shape.size(); ++k) {
    if (k) out += ", ";
    out += shape[k] < 0 ? "N" : std::to_string(shape[k]);
  }
  return out + "]";
}

int64_t normalize_axis(int64_t axis, int64_t rank, const std::string& what) {
  if (axis < -rank || axis >= rank)
    throw Error(ErrorCode::kInvalidInput, what + ": axis " + std::to_string(axis) +
                                              " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

void fail(const std::string& where, const std::string& message) {
  throw Error(ErrorCode::kInvalidInput, where + ": " + message);
}

bool has_input(std::span<const Value* const> inputs, size_t index) {
  return index < inputs.size() && inputs[index] != nullptr;
}

const Tensor& tensor_input(std::span<const Value* const> inputs, size_t index,
                           const std::string& where) {
  if (!has_input(inputs, index)) fail(where, "input " + std::to_string(index) + " is missing");
  const auto* t = std::get_if<Tensor>(inputs[index]);
  if (!t) fail(where, "input " + std::to_string(index) + " is a sequence of maps, not a tensor");
  return *t;
}

const Tensor* constant_tensor(const NodeContext& ctx, size_t index) {
  if (static_cast<int>(index) >= ctx.node.input_size() || ctx.node.input(index).empty())
    return nullptr;
  auto it = ctx.constants.find(ctx.node.input(index));
  if (it == ctx.constants.end())
    fail(ctx.where(), "input '" + ctx.node.input(index) +
                          "' must be a constant (an initializer or a Constant node): Plinth "
                          "fixes shapes and axes when it loads the model");
  return &it->second;
}

std::optional<std::vector<int64_t>> constant_ints(const NodeContext& ctx, size_t index) {
  const Tensor* t = constant_tensor(ctx, index);
  if (!t) return std::nullopt;
  if (!is_integer(t->type))
    fail(ctx.where(), "input '" + ctx.node.input(index) + "' must hold integers, not " +
                          element_type_name(t->type));
  return t->i;
}

std::vector<int64_t> broadcast_shapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                                      const std::string& where) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t k = 0; k < rank; ++k) {
    int64_t da = k < rank - a.size() ? 1 : a[k - (rank - a.size())];
    int64_t db = k < rank - b.size() ? 1 : b[k - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      fail(where, "shapes " + shape_text(a) + " and " + shape_text(b) + " do not broadcast");
    out[k] = da == 1 ? db : da;
  }
  return out;
}

std::vector<size_t> broadcast_strides(const std::vector<int64_t>& shape,
                                      const std::vector<int64_t>& out) {
  std::vector<size_t> strides(out.size(), 0);
  size_t offset = out.size() - shape.size();
  size_t stride = 1;
  for (size_t k = shape.size(); k-- > 0;) {
    strides[k + offset] = shape[k] == 1 ? 0 : stride;
    stride *= static_cast<size_t>(shape[k]);
  }
  return strides;
}

}  // namespace plinth::model::onnx::ops
