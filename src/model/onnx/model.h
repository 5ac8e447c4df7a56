#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/onnx/tensor.h"

// An ONNX model loaded for scoring: parsed with Debian's libonnx, checked node by node at load
// (every operator known, every opset supported, the graph a DAG, external data present), then
// run by Plinth's own kernels: tree ensembles on the compiled tree engine, the rest on a small
// tensor interpreter.
namespace plinth::model::onnx {

struct ValueInfo {
  std::string name;
  ElementType type = ElementType::kFloat;
  std::vector<int64_t> shape;  // -1 for a dynamic dimension (the batch axis)
  bool map_sequence = false;   // ZipMap's output
};

class OnnxModel {
 public:
  // Reads, checks and compiles `path`. Throws Error(kInvalidInput) naming the file and, for a
  // node it cannot run, the node, operator, domain and opset.
  static OnnxModel load(const std::filesystem::path& path);
  // The same from bytes; `source` names them in errors, `base_dir` holds external data.
  static OnnxModel parse(const std::string& bytes, const std::string& source,
                         const std::filesystem::path& base_dir);

  OnnxModel(OnnxModel&&) noexcept;
  OnnxModel& operator=(OnnxModel&&) noexcept;
  ~OnnxModel();

  const std::vector<ValueInfo>& inputs() const;  // graph inputs that are not initializers
  const std::vector<ValueInfo>& outputs() const;
  // metadata_props, producer_name, producer_version, ir_version, opsets ("ai.onnx", ...).
  const std::map<std::string, std::string>& metadata() const;

  // Runs the graph on `inputs` (in inputs() order). Thread-safe. Throws Error(kInvalidInput)
  // when an input's type or shape does not match the graph.
  std::vector<Value> run(std::vector<Tensor> inputs) const;

 private:
  OnnxModel();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace plinth::model::onnx
