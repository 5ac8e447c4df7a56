#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

// Writing ONNX graphs with libonnx's protobuf classes: typed attributes, unique value names,
// constants as initializers. Used by export.cc.
namespace plinth::model::onnx {

inline constexpr int64_t kBatch = -1;  // a dynamic dimension ("N") in a declared shape

void attr(::onnx::NodeProto& n, const std::string& name, int64_t v);
void attr(::onnx::NodeProto& n, const std::string& name, float v);
void attr(::onnx::NodeProto& n, const std::string& name, const std::string& v);
void attr(::onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v);
void attr(::onnx::NodeProto& n, const std::string& name, const std::vector<float>& v);
void attr(::onnx::NodeProto& n, const std::string& name, const std::vector<std::string>& v);

// Builds a graph: unique value names (Plinth's column names are kept as they are), node names
// by operator, initializers for constants.
class Graph {
 public:
  explicit Graph(::onnx::GraphProto* g) : g_(g) {}

  // `base`, or base_2, base_3, ... when taken; the name is then taken.
  std::string fresh(const std::string& base);
  ::onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const char* domain = "");
  // A node with one output, named fresh from `out`; its output is output(0).
  ::onnx::NodeProto& op(const std::string& op, const std::vector<std::string>& inputs,
                        const std::string& out, const char* domain = "");

  ::onnx::TensorProto& constant(const std::string& base, int type,
                                const std::vector<int64_t>& dims);
  std::string scalar(const std::string& base, double v);
  std::string ints(const std::string& base, const std::vector<int64_t>& v, bool as_scalar);

  // Graph inputs and outputs, and the type of an intermediate value for operators whose schema
  // infers none (libonnx 1.12's Imputer and OneHotEncoder). dims: kBatch for "N".
  void input(const std::string& name, int elem_type, const std::vector<int64_t>& dims);
  void output(const std::string& name, int elem_type, const std::vector<int64_t>& dims);
  void declare(const std::string& name, int elem_type, const std::vector<int64_t>& dims);

 private:
  ::onnx::GraphProto* g_;
  std::set<std::string> used_;
};

}  // namespace plinth::model::onnx
