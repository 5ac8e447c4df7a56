#pragma once

#include <filesystem>
#include <vector>

#include "model/onnx/model.h"

// What the inputs and outputs of an ONNX graph are for: shared by reading a plain ONNX model
// (onnx_flavor.cc) and scoring with one (onnx_scorer.cc).
namespace plinth::model {

// Output indexes, -1 when absent.
struct OutputRoles {
  int label = -1;        // an int64 or string tensor [N] or [N, 1]: the predicted class
  int probability = -1;  // ZipMap's sequence of maps, or a float tensor [N, C]
  int value = -1;        // the first float tensor: a regressor's prediction
};
// Throws Error naming `file` when no output is a tensor of numbers, labels or class maps.
OutputRoles output_roles(const std::vector<onnx::ValueInfo>& outputs,
                         const std::filesystem::path& file);

// C of a float [N, C] probability output; 0 when unknown (ZipMap, or a dynamic dimension).
int64_t probability_width(const onnx::ValueInfo& output);

// Whether the graph takes one [N, F] tensor of several features rather than one input per
// column ([N] or [N, 1] each).
bool one_tensor_input(const std::vector<onnx::ValueInfo>& inputs);

}  // namespace plinth::model
