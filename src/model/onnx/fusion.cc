// Dense layers fused at load: MatMul or Gemm with a constant weight, the bias Add that follows
// it and an activation run as one kernel (the matrix product with the bias and activation
// applied while each block of rows is in cache), as onnxruntime's MatMul+Add and Gemm+Relu
// fusions do. Only values no other node or output reads are fused away.
#include <onnx/onnx_pb.h>

#include "model/onnx/ops_common.h"

namespace plinth::model::onnx::ops {
namespace {

const ::onnx::AttributeProto* attribute(const ::onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

int64_t int_attribute(const ::onnx::NodeProto& node, const std::string& name, int64_t fallback) {
  const auto* a = attribute(node, name);
  return a ? a->i() : fallback;
}

float float_attribute(const ::onnx::NodeProto& node, const std::string& name, float fallback) {
  const auto* a = attribute(node, name);
  return a ? a->f() : fallback;
}

const Tensor* float_constant(const std::map<std::string, Tensor>& constants,
                             const std::string& name) {
  auto it = constants.find(name);
  return it != constants.end() && it->second.type == ElementType::kFloat ? &it->second : nullptr;
}

// The one node reading `value`, when exactly one does and it is not a graph output.
const ::onnx::NodeProto* sole_reader(const ::onnx::GraphProto& graph, const GraphIndex& index,
                                     const std::string& value, int* at) {
  if (index.outputs.count(value)) return nullptr;
  auto it = index.readers.find(value);
  if (it == index.readers.end() || it->second.size() != 1) return nullptr;
  *at = it->second[0];
  const auto& node = graph.node(*at);
  bool ai_onnx = node.domain().empty() || node.domain() == "ai.onnx";
  return ai_onnx && node.output_size() == 1 ? &node : nullptr;
}

std::optional<Activation> activation_of(const ::onnx::NodeProto& node, float* alpha) {
  if (node.op_type() == "Relu") return Activation::kRelu;
  if (node.op_type() == "Sigmoid") return Activation::kSigmoid;
  if (node.op_type() == "Tanh") return Activation::kTanh;
  if (node.op_type() == "LeakyRelu") {
    *alpha = float_attribute(node, "alpha", 0.01f);
    return Activation::kLeakyRelu;
  }
  return std::nullopt;
}

}  // namespace

std::optional<FusedDense> fuse_dense(const ::onnx::GraphProto& graph, const GraphIndex& index,
                                     int k, const std::map<std::string, Tensor>& constants) {
  const auto& first = graph.node(k);
  if (!first.domain().empty() && first.domain() != "ai.onnx") return std::nullopt;
  bool gemm = first.op_type() == "Gemm";
  if ((!gemm && first.op_type() != "MatMul") || first.input_size() < 2 ||
      constants.count(first.input(0)))
    return std::nullopt;
  const Tensor* w = float_constant(constants, first.input(1));
  if (!w || w->shape.size() != 2) return std::nullopt;
  FusedDense fused;
  fused.nodes.push_back(k);
  fused.input = first.input(0);
  fused.output = first.output(0);
  fused.weights = *w;
  int64_t n = w->shape[1];
  if (gemm) {
    if (float_attribute(first, "alpha", 1) != 1 || int_attribute(first, "transA", 0) != 0)
      return std::nullopt;
    if (int_attribute(first, "transB", 0)) {
      n = w->shape[0];
      fused.weights = make_tensor(ElementType::kFloat, {w->shape[1], n});
      for (int64_t r = 0; r < n; ++r)
        for (int64_t c = 0; c < w->shape[1]; ++c)
          fused.weights.f[c * n + r] = w->f[r * w->shape[1] + c];
    }
    fused.rank2 = true;
    if (first.input_size() > 2 && !first.input(2).empty()) {
      const Tensor* c = float_constant(constants, first.input(2));
      if (!c || float_attribute(first, "beta", 1) != 1 || c->elements() != static_cast<size_t>(n) ||
          (c->shape != std::vector<int64_t>{n} && c->shape != std::vector<int64_t>{1, n}))
        return std::nullopt;
      fused.bias = c->f;
    }
  }
  int at = -1;
  const auto* next = sole_reader(graph, index, fused.output, &at);
  if (!gemm && next && next->op_type() == "Add" && next->input_size() == 2) {
    const std::string& other = next->input(0) == fused.output ? next->input(1) : next->input(0);
    const Tensor* bias = float_constant(constants, other);
    if (bias && bias->elements() == static_cast<size_t>(n) &&
        (bias->shape == std::vector<int64_t>{n} || bias->shape == std::vector<int64_t>{1, n})) {
      fused.bias = bias->f;
      fused.nodes.push_back(at);
      fused.output = next->output(0);
      next = sole_reader(graph, index, fused.output, &at);
    }
  }
  if (next && next->input_size() == 1)
    if (auto act = activation_of(*next, &fused.alpha)) {
      fused.activation = *act;
      fused.nodes.push_back(at);
      fused.output = next->output(0);
    }
  if (fused.nodes.size() == 1 && !gemm) return std::nullopt;  // a bare MatMul gains nothing
  return fused;
}

std::unique_ptr<Kernel> make_dense(const FusedDense& fused, const std::string& where) {
  std::vector<float> bias = fused.bias;
  Tensor weights = fused.weights;
  int64_t k = weights.shape[0], n = weights.shape[1];
  return kernel([=, act = fused.activation, alpha = fused.alpha, rank2 = fused.rank2](
                    std::span<const Value* const> in, std::span<Value> out) {
    const Tensor& x = tensor_input(in, 0, where);
    if (x.type != ElementType::kFloat) fail(where, "takes float, not " + element_type_name(x.type));
    if (x.shape.empty() || x.shape.back() != k || (rank2 && x.shape.size() != 2))
      fail(where, "cannot multiply " + shape_text(x.shape) + " by " + shape_text(weights.shape));
    std::vector<int64_t> shape = x.shape;
    shape.back() = n;
    Tensor y = make_uninitialized(ElementType::kFloat, shape);
    int64_t rows = static_cast<int64_t>(x.elements()) / k;
    gemm(rows, n, k, x.f.data(), weights.f.data(), y.f.data(), bias.empty() ? nullptr : bias.data(),
         act, alpha);
    out[0] = std::move(y);
  });
}

}  // namespace plinth::model::onnx::ops
