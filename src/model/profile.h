#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/package.h"
#include "model/predictor.h"
#include "table/table.h"

// profile.json: the reference profile drift monitoring compares live data against. Shape (see
// docs/models.md):
//   {"inputs": {COLUMN: PROFILE, ...}, "prediction": PROFILE (named after the output)}
//   numeric PROFILE: {"type": "numeric", "count", "null_count", "mean", "std",
//     "quantiles": {"1": q, "5": q, ... "99": q}, "bin_edges": [Sturges edges],
//     "bin_counts": [below first edge, Sturges bins..., above last edge]}
//   categorical PROFILE: {"type": "categorical", "count", "null_count",
//     "frequencies": {CATEGORY: count, ...}}
namespace plinth::model {

// Profile of one column (numbers or text).
nlohmann::json column_profile(const table::Column& c);
// Profile of a numeric sample (NaN = missing).
nlohmann::json numeric_profile(const std::vector<double>& values);

// The package's inputs in `t` and `prediction` (the probability of the second class, or the
// predicted value) under the package's output name.
nlohmann::json build_profile(const ModelPackage& package, const table::Table& t,
                             const std::vector<double>& prediction);

// build_profile over reference data `t` (read from `source`, named in errors) as `predictor`
// scores it, each row's prediction its highest output: what `plinth models import
// --reference-data` writes and `plinth serve --reference-data` builds in memory.
nlohmann::json profile_of_data(const ModelPackage& package, const Predictor& predictor,
                               const table::Table& t, const std::string& source);

// The reference profile of the package in `folder` (its profile.json), or nullopt when it has
// none. Throws Error(kCorrupted) naming the file when it is not JSON.
std::optional<nlohmann::json> read_profile(const std::filesystem::path& folder);

// read_profile for drift against a model: throws Error(kNotFound) naming `model` (the path or
// URI the user gave) and saying how to make a profile or compare with data instead.
nlohmann::json required_profile(const std::filesystem::path& folder, const std::string& model);

// Whether a drift reference that is not a models:/ or runs:/ URI names a model rather than data:
// an .onnx file, or a folder holding MLmodel or profile.json (or no data files, so that the
// error says what a package lacks). What `plinth drift --reference` and plinth.drift decide by.
bool is_model_reference(const std::string& path);

}  // namespace plinth::model
