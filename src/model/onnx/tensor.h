#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

// Values flowing through an ONNX graph: dense tensors of the element types tabular models use,
// and the sequence of maps that ZipMap makes of class probabilities.
namespace plinth::model::onnx {

// ONNX's TensorProto.DataType numbers.
enum class ElementType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kDouble = 11,
};
// "float", "int64", "string", ...
std::string element_type_name(ElementType type);

// One dense tensor. Exactly one storage vector is in use, chosen by `type`: `f` for float,
// `d` for double, `s` for string, `i` for every integer type and bool (widened to int64).
struct Tensor {
  ElementType type = ElementType::kFloat;
  std::vector<int64_t> shape;
  std::vector<float> f;
  std::vector<double> d;
  std::vector<int64_t> i;
  std::vector<std::string> s;

  // The number of elements the shape holds (1 for a scalar).
  size_t elements() const;
};

// ZipMap's output: one map per row, all with the same keys (the class labels).
struct MapSequence {
  bool int_keys = true;
  std::vector<int64_t> int_labels;       // int_keys
  std::vector<std::string> text_labels;  // !int_keys
  size_t rows = 0;
  std::vector<float> values;  // rows x labels, row-major
};

using Value = std::variant<Tensor, MapSequence>;

}  // namespace plinth::model::onnx
