#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/onnx/tensor.h"

namespace onnx {
class NodeProto;
class TensorProto;
}  // namespace onnx

// The contract between the graph interpreter (model.cc) and the operators: each supported
// (domain, op_type, opset range) has a factory that reads and checks the node's attributes once,
// at load, and returns a kernel that runs it. Nothing about a node is decided at request time.
namespace plinth::model::onnx {

// What a factory sees of one node.
struct NodeContext {
  const ::onnx::NodeProto& node;
  int64_t opset = 0;  // the model's opset for the node's domain
  // Constant inputs (initializers and Constant outputs) by value name, for operators whose
  // later opsets moved attributes to inputs (ReduceSum axes, Split sizes, Clip bounds, ...).
  const std::map<std::string, Tensor>& constants;
  // "node 'name' (op_type, domain ai.onnx.ml, opset 3)": prefix for load errors.
  std::string where() const;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Runs the node: `inputs` in the node's input order (nullptr for an omitted optional input),
  // `outputs` pre-sized to the node's output count. Must be thread-safe (const, no shared
  // mutable state). Throws Error(kInvalidInput) for inputs whose shape or type the graph
  // cannot take (a request problem, not a model problem).
  virtual void run(std::span<const Value* const> inputs, std::span<Value> outputs) const = 0;
};

using KernelFactory = std::function<std::unique_ptr<Kernel>(const NodeContext&)>;

struct OpSupport {
  std::string domain;  // "" for ai.onnx, "ai.onnx.ml"
  std::string op_type;
  int64_t since = 1, until = 1000;  // opsets this implementation follows, inclusive
  KernelFactory make;
};

// Each operator family adds its entries; the interpreter looks nodes up in the union.
void add_tree_ops(std::vector<OpSupport>& ops);    // tree_ops.cc
void add_tensor_ops(std::vector<OpSupport>& ops);  // tensor_ops.cc: shapes, casts, math, nets
void add_ml_ops(std::vector<OpSupport>& ops);      // ml_ops.cc: Scaler, OneHotEncoder, ZipMap, ...

// Attribute access that names the node and attribute in its errors.
class Attributes {
 public:
  explicit Attributes(const NodeContext& ctx);
  bool has(const std::string& name) const;
  int64_t get_int(const std::string& name, int64_t fallback) const;
  int64_t require_int(const std::string& name) const;
  float get_float(const std::string& name, float fallback) const;
  std::string get_string(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> get_ints(const std::string& name) const;  // empty when absent
  std::vector<float> get_floats(const std::string& name) const;
  std::vector<std::string> get_strings(const std::string& name) const;
  // A tensor attribute (`value` of Constant, `*_as_tensor` of the tree ops); nullopt if absent.
  std::optional<Tensor> get_tensor(const std::string& name) const;

 private:
  const NodeContext& ctx_;
};

// A TensorProto's contents, packed or unpacked, raw_data little-endian. External data is read
// from `base_dir`. Throws Error naming `where` when the data does not match the dims.
Tensor tensor_from_proto(const ::onnx::TensorProto& proto, const std::string& where,
                         const std::string& base_dir);

}  // namespace plinth::model::onnx
