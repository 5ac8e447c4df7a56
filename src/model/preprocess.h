#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/package.h"
#include "table/table.h"

// Preprocessing: the one code path from table columns to the features a model sees, used by
// training, batch scoring and serving alike.
namespace plinth::model {

struct PreprocessOptions {
  bool one_hot = true;                    // categoricals one-hot (else ordinal codes)
  bool standardize = false;               // numerics (x - mean) / std (else passed through)
  std::map<std::string, double> missing;  // declared defaults for nulls, by column
};

// Freezes the encoding of `columns` of `t` (vocabularies in ascending order, means, scales).
// String columns are categorical; int64, float64 and bool columns numeric; timestamps are
// refused with Error(kInvalidInput) naming the column.
std::vector<FeatureSpec> fit_preprocessing(const table::Table& t,
                                           const std::vector<std::string>& columns,
                                           const PreprocessOptions& options);

// Feature names in booster order: a numeric column by its name, one-hot columns as
// "column=category".
std::vector<std::string> feature_names(const std::vector<FeatureSpec>& specs);

// Dense row-major float features, NaN for missing.
struct FeatureMatrix {
  size_t rows = 0, cols = 0;
  std::vector<float> values;
  // Unknown categories seen, by column (encoded as "other": all zeros / the last code).
  std::map<std::string, size_t> unknown;
};

// Throws Error(kNotFound) listing every input column `t` lacks (extra columns are ignored), and
// Error(kInvalidInput) naming the column and the first bad value when a numeric input holds
// text. `source` names the file in messages.
void check_inputs(const std::vector<FeatureSpec>& specs, const table::Schema& schema,
                  const std::string& source);
FeatureMatrix transform(const std::vector<FeatureSpec>& specs, const table::Table& t,
                        const std::string& source);

}  // namespace plinth::model
