#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/package.h"
#include "model/predictor.h"

namespace YAML {
class Emitter;
}
namespace plinth::core {
class ThreadPool;
}

// ONNX models as model packages (flavor "onnx"). Three forms are read:
//  - a bare .onnx file, or a folder holding model.onnx and no MLmodel;
//  - a folder MLflow wrote with mlflow.onnx.log_model (MLmodel with the `onnx` flavor);
//  - a Plinth package (MLmodel with MLflow's `onnx` flavor and Plinth's `plinth` flavor), which
//    `plinth models import` writes around either of the others.
// For the first two the package is derived from the graph: one input per column (what skl2onnx
// makes of a DataFrame) passes each column through by the input's name and type; a single
// [N, F] float tensor takes F numeric columns named by the MLmodel signature. A label output
// (int64 or string) with probabilities (ZipMap or an [N, C] tensor) makes a classifier whose
// classes are the graph's class labels; a float output alone makes a regressor.
namespace plinth::model {

inline constexpr const char* kOnnxFile = "model.onnx";

// Whether `path` is an ONNX model without a plinth flavor (the first two forms above).
bool is_plain_onnx(const std::filesystem::path& path);

// What `plinth models import` says about a plain model that its graph does not.
struct OnnxImportOptions {
  std::vector<FeatureSpec> preprocessing;  // how columns make a single tensor input's features
  std::optional<Task> task;                // e.g. a network whose one output is a probability
  std::vector<std::string> classes;        // class labels, in probability-column order
};

// The package of such a model: outputs named `label` and `probability` (classifier) or
// `prediction` (regressor). Throws Error naming the file when the graph cannot be read, holds an
// operator Plinth does not run, or has inputs or outputs no table maps to.
ModelPackage read_plain_onnx(const std::filesystem::path& path,
                             const OnnxImportOptions& options = {});

// Loads and checks `file` into `package` (flavor onnx).
void load_onnx_model(ModelPackage& package, const std::filesystem::path& file);

// MLflow's `onnx` and `python_function` flavors of a package Plinth writes, so that
// mlflow.onnx.load_model and mlflow.pyfunc.load_model read it too.
void emit_onnx_flavors(YAML::Emitter& yaml);

// Copies package.onnx_file into `dir` as model.onnx, with the external data files it names.
void copy_onnx_files(const ModelPackage& package, const std::filesystem::path& dir);

// Scores tables with a package's ONNX graph: columns become the graph's input tensors (one per
// column, or the package's preprocessing into one [N, F] tensor), the outputs become Scores.
class OnnxScorer {
 public:
  // Checks that the package's inputs, task and classes fit the graph; throws Error naming the
  // model file when they do not.
  explicit OnnxScorer(const ModelPackage& package);
  ~OnnxScorer();
  // Scores `t`, in parallel slices on `pool` when given. Throws Error(kInvalidInput) naming the
  // column and row of a value the graph cannot take.
  Scores predict(const table::Table& t, const std::string& source, core::ThreadPool* pool) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace plinth::model
