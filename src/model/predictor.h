#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/package.h"
#include "table/table.h"

// Scoring a package: preprocessing, then the flavor's model, then the output columns. The same
// object serves batch scoring, evaluation and (later) online serving.
namespace plinth::model {

enum class Engine {
  kCompiled,  // the flat tree engine (tree_engine.h); falls back to XGBoost when it cannot compile
  kXgboost,   // XGBoost's own predict
};

struct Scores {
  size_t rows = 0, width = 1;
  // Probability of the second class (binary), rows x classes (multiclass), values (regression).
  std::vector<double> values;
  std::map<std::string, size_t> unknown;  // unknown categories seen, by column
  // Class index per row when the model labels rows itself (an ONNX classifier's label output);
  // empty: the label follows from `values` (threshold or arg max).
  std::vector<double> label_index;
};

class Predictor {
 public:
  // `threads` rows are scored in parallel (and XGBoost's nthread). Loads or compiles the model.
  Predictor(const ModelPackage& package, Engine engine, size_t threads);
  ~Predictor();
  const ModelPackage& package() const;
  // Which engine actually scores: "compiled", "xgboost", "rules" or "onnx".
  std::string engine_name() const;

  // Scores `t` (extra columns ignored). Throws Error listing missing input columns.
  Scores predict(const table::Table& t, const std::string& source) const;
  // The output columns of package().output_schema() for `scores`.
  std::vector<table::Column> outputs(const Scores& scores) const;
  // Class index per row from `scores` (the model's own labels; else binary: threshold,
  // multiclass: arg max).
  std::vector<double> predicted_classes(const Scores& scores) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Rows of `t` outside the package's declared constraints: a flag per row, 1 = invalid. When
// there is one, `first` gets a message naming the first such row (counting from `first_row` +
// 1), the column, the value and the constraint.
std::vector<uint8_t> constraint_violations(const ModelPackage& package, const table::Table& t,
                                           size_t first_row, const std::string& source,
                                           std::string* first);

// The given rows of `t`, in the given order.
table::Table take_rows(const table::Table& t, const std::vector<size_t>& rows);

// Class index of each target value (classification) or the value (regression); throws
// Error(kInvalidInput) naming an unseen class or a null target.
std::vector<double> encode_target(const ModelPackage& package, const table::Column& target,
                                  const std::string& source);

// The target's value at `row` as text ("1", "online", "true").
std::string value_text(const table::Column& c, size_t row);

}  // namespace plinth::model
