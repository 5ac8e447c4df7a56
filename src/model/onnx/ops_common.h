#pragma once

#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "model/onnx/kernel.h"
#include "model/onnx/matmul.h"

namespace onnx {
class GraphProto;
}

// Pieces the operator files share: typed access to a Value, shape arithmetic, constant inputs
// read at load, and a kernel built from a lambda. Internal to model/onnx.
namespace plinth::model::onnx::ops {

// The storage class a type lives in: float, double, widened integer (incl. bool), string.
enum class Storage { kFloat, kDouble, kInt, kString };
Storage storage_of(ElementType type);
bool is_integer(ElementType type);  // every type stored in Tensor::i, bool included
// The element types a Tensor holds (float, double, string and the integers widened to int64).
bool held_type(ElementType type);

// Runs `f(vec)` on the storage vector in use (`std::vector<float>&`, ... `std::string`).
template <typename T, typename F>
decltype(auto) visit_storage(T& tensor, F&& f) {
  switch (storage_of(tensor.type)) {
    case Storage::kFloat:
      return f(tensor.f);
    case Storage::kDouble:
      return f(tensor.d);
    case Storage::kInt:
      return f(tensor.i);
    default:
      return f(tensor.s);
  }
}

// The vector of a tensor's storage for element type T.
template <typename T>
std::vector<T>& data(Tensor& t);
template <typename T>
const std::vector<T>& data(const Tensor& t);

// An empty tensor of `type` and `shape` with its storage sized.
Tensor make_tensor(ElementType type, std::vector<int64_t> shape);
// The same for a kernel that writes every element: float storage may come from this thread's
// recycled buffers (see recycle) and hold old values.
Tensor make_uninitialized(ElementType type, std::vector<int64_t> shape);
// Gives a float buffer no one reads any more back to this thread's pool, so the next batch's
// intermediates reuse its pages instead of faulting fresh ones in (a few, bounded in bytes).
void recycle(std::vector<float>&& buffer);

// A real number as int64 the way x86-64 converts it (truncation; NaN and out-of-range values give
// INT64_MIN), without C++'s undefined behaviour.
int64_t to_int64(double v);
// The element count of `shape`; throws naming `where` when a dimension is negative or the
// count exceeds 2^32 (no tabular graph needs more; a corrupt or hostile one might ask).
size_t checked_elements(const std::vector<int64_t>& shape, const std::string& where);

// Element k of a numeric tensor as a double.
double number_at(const Tensor& t, size_t k);

std::string shape_text(const std::vector<int64_t>& shape);
// The product of shape[from, to).
size_t product(const std::vector<int64_t>& shape, size_t from, size_t to);
// An axis in [-rank, rank) made non-negative; throws naming `what` otherwise.
int64_t normalize_axis(int64_t axis, int64_t rank, const std::string& what);

// The input `index` as a tensor; throws kInvalidInput naming the node when it is missing or a
// map sequence.
const Tensor& tensor_input(std::span<const Value* const> inputs, size_t index,
                           const std::string& where);
// Whether input `index` is present (not omitted with "").
bool has_input(std::span<const Value* const> inputs, size_t index);

// A constant input's values (e.g. the axes of ReduceSum 13) read at load: nullopt when the node
// does not have that input; throws when the input is not a constant, since Plinth fixes every
// shape decision at load.
std::optional<std::vector<int64_t>> constant_ints(const NodeContext& ctx, size_t index);
const Tensor* constant_tensor(const NodeContext& ctx, size_t index);

// Throws Error(kInvalidInput) with `where + ": " + message`.
[[noreturn]] void fail(const std::string& where, const std::string& message);

// The NumPy broadcast of two shapes; throws naming `where` when they do not broadcast.
std::vector<int64_t> broadcast_shapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                                      const std::string& where);
// Element strides of `shape` viewed as `out` (0 along broadcast axes); `shape` is right-aligned.
std::vector<size_t> broadcast_strides(const std::vector<int64_t>& shape,
                                      const std::vector<int64_t>& out);

// Calls f(out_index, a_index, b_index) for every element of the broadcast of a and b, the inner
// dimension in one tight loop.
template <typename F>
void for_each_broadcast(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                        const std::vector<int64_t>& out, F&& f) {
  size_t rank = out.size();
  size_t total = 1;
  for (int64_t d : out) total *= static_cast<size_t>(d);
  if (total == 0) return;
  if (rank == 0) {
    f(0, 0, 0);
    return;
  }
  auto sa = broadcast_strides(a, out), sb = broadcast_strides(b, out);
  size_t inner = static_cast<size_t>(out[rank - 1]);
  size_t ia = sa[rank - 1], ib = sb[rank - 1];
  std::vector<int64_t> index(rank, 0);
  size_t pa = 0, pb = 0;
  for (size_t o = 0; o < total; o += inner) {
    for (size_t k = 0; k < inner; ++k) f(o + k, pa + k * ia, pb + k * ib);
    for (size_t d = rank - 1; d-- > 0;) {  // advance the outer index like an odometer
      pa += sa[d];
      pb += sb[d];
      if (++index[d] < out[d]) break;
      pa -= sa[d] * static_cast<size_t>(out[d]);
      pb -= sb[d] * static_cast<size_t>(out[d]);
      index[d] = 0;
    }
  }
}

// A kernel whose run is a lambda capturing what the factory decided at load.
template <typename F>
class LambdaKernel : public Kernel {
 public:
  explicit LambdaKernel(F f) : f_(std::move(f)) {}
  void run(std::span<const Value* const> inputs, std::span<Value> outputs) const override {
    f_(inputs, outputs);
  }

 private:
  F f_;
};

template <typename F>
std::unique_ptr<Kernel> kernel(F f) {
  return std::make_unique<LambdaKernel<F>>(std::move(f));
}

// Who reads each value, and which values are graph outputs.
struct GraphIndex {
  std::map<std::string, std::vector<int>> readers;  // value -> indices of nodes reading it
  std::set<std::string> outputs;
};

// MatMul/Gemm + bias Add + activation fused into one dense layer (fusion.cc).
struct FusedDense {
  std::vector<int> nodes;  // the graph nodes it replaces, first the MatMul/Gemm
  std::string input, output;
  Tensor weights;  // [K, N]
  std::vector<float> bias;
  Activation activation = Activation::kNone;
  float alpha = 0;
  bool rank2 = false;  // Gemm: the input must be 2-D
};
// The fused layer starting at node k, or nullopt when k starts none.
std::optional<FusedDense> fuse_dense(const ::onnx::GraphProto& graph, const GraphIndex& index,
                                     int k, const std::map<std::string, Tensor>& constants);
std::unique_ptr<Kernel> make_dense(const FusedDense& fused, const std::string& where);

// The operator families inside add_tensor_ops, one file each.
void add_shape_ops(std::vector<OpSupport>& ops);        // shape_ops.cc
void add_elementwise_ops(std::vector<OpSupport>& ops);  // elementwise_ops.cc
void add_network_ops(std::vector<OpSupport>& ops);      // network_ops.cc
// ai.onnx.ml's LabelEncoder (opsets 1, 2 and 4 forms), inside add_ml_ops.
void add_label_encoder(std::vector<OpSupport>& ops);  // label_encoder.cc

}  // namespace plinth::model::onnx::ops
