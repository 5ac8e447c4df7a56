#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "model/package.h"

namespace onnx {
class ModelProto;
}

// `plinth export --format onnx`: a Plinth package (xgboost flavor) as one ONNX model, its
// preprocessing included, for onnxruntime on devices and in the browser.
//
// The graph takes one input per package input column, shape [N, 1]: tensor(double) for numbers
// (Plinth reads numbers as 64-bit, and standardization must round like `plinth score` does),
// tensor(string) for categories ("" is a missing category unless "" was a trained category).
// Each column becomes its features with standard nodes (Cast and Imputer for numbers;
// Equal + Where, Sub and Div in double for standardized numbers; OneHotEncoder(zeros=1) + Reshape
// for one-hot; LabelEncoder for ordinal codes), Concat joins them, and the booster becomes a
// TreeEnsembleRegressor (gbtree, random-forest mode included; onnxmltools' XGBoost conventions:
// BRANCH_LT, missing tracks true = default_left, base_values) or a LinearRegressor (gblinear)
// giving the margin, which Sigmoid or Softmax in double turns into probabilities. Outputs carry
// Plinth's output names: the label ([N], the package's classes, chosen with the package's
// threshold or the arg max) and the probabilities ([N, C] float in class order, no ZipMap); a
// regressor outputs its value as [N, 1] float under the label's name. Opsets: ai.onnx 17,
// ai.onnx.ml 3. Constraints are not expressible in ONNX: they travel as metadata only.
namespace plinth::model::onnx {

inline constexpr int64_t kExportOnnxOpset = 17;
inline constexpr int64_t kExportMlOpset = 3;

struct ExportPort {
  std::string name, type, shape;  // "amount", "double", "[N, 1]"
};

struct ExportSummary {
  size_t nodes = 0, initializers = 0;
  std::vector<ExportPort> inputs, outputs;
  size_t bytes = 0;                    // the written file
  std::vector<std::string> operators;  // distinct op types, in first-use order
  std::vector<std::string> notes;      // what the graph does not carry (e.g. constraints)
};

// The package as a checked ModelProto. `source` (the folder or models:/ URI) is recorded in the
// metadata. Throws Error(kInvalidInput) naming the package and the field that cannot be
// exported (a rules package, an objective or split kind without an ONNX form).
::onnx::ModelProto to_onnx(const ModelPackage& package, const std::string& source);

// to_onnx, passed through libonnx's checker (and strict shape inference), written atomically to
// `out`: the file appears complete or not at all.
ExportSummary export_onnx(const ModelPackage& package, const std::string& source,
                          const std::filesystem::path& out);

}  // namespace plinth::model::onnx
