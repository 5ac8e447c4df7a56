// Stands in for tree_ops.cc (branch onnx-trees) until it lands; src/CMakeLists.txt drops this
// file as soon as tree_ops.cc exists. Tree ensembles are refused at load meanwhile.
#include "model/onnx/kernel.h"

namespace plinth::model::onnx {

void add_tree_ops(std::vector<OpSupport>&) {}

}  // namespace plinth::model::onnx
