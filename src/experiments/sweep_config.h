#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/values.h"

namespace plinth::experiments {

// A sweep configuration as W&B defines it (the `sweeps` engine's schema.json and its
// HyperParameter types), read from a YAML or JSON file.

enum class SearchMethod { kGrid, kRandom, kBayes };
enum class Goal { kMinimize, kMaximize };

// W&B's parameter types, in the order its schema tries them (the first that fits wins).
enum class Distribution {
  kQBeta,
  kBeta,
  kCategorical,
  kCategoricalWithProbabilities,
  kIntUniform,
  kUniform,
  kLogNormal,
  kNormal,
  kQLogNormal,
  kQNormal,
  kQUniform,
  kConstant,
  kInvLogUniformValues,
  kLogUniformValues,
  kQLogUniformValues,
};

// The `distribution:` name W&B uses for it ("q_uniform", "log_uniform_values", ...).
const char* distribution_name(Distribution d);

struct Parameter {
  // Dotted path: top-level key, then nested `parameters:` keys ("train.lr"); it is also the
  // `-S` override applied to params.yaml.
  std::string name;
  Distribution distribution = Distribution::kConstant;
  pipeline::Value value;                // kConstant
  std::vector<pipeline::Value> values;  // kCategorical*
  std::vector<double> probabilities;    // kCategoricalWithProbabilities
  // Bounds as written; `integer_bounds` when both were integers (int_uniform's values are
  // integers, q_* values are integers when q is).
  double min = 0, max = 0;
  bool integer_bounds = false;
  double q = 1.0;
  bool integer_q = false;  // q was written as an integer (W&B then returns integers)
  double mu = 0, sigma = 1;
  double a = 1, b = 1;
};

struct Hyperband {
  // The iteration counts at which runs are compared (ascending), from min_iter·eta^k or from
  // max_iter/eta^k for k < s, as W&B computes them.
  std::vector<long long> bands;
  double eta = 3;
  // W&B's default: compare the metric at the band (true) rather than the best so far.
  bool strict = true;
};

struct SweepConfig {
  std::string name;
  SearchMethod method = SearchMethod::kRandom;
  std::string metric;  // empty: no metric (grid and random only)
  Goal goal = Goal::kMinimize;
  std::optional<double> target;       // stop the sweep once a trial reaches it
  std::vector<Parameter> parameters;  // sorted by name at each nesting level, as W&B sorts
  std::optional<Hyperband> early_terminate;
  std::vector<std::string> command;  // W&B's `command:` with its ${...} macros
  std::string program;
  std::optional<long long> run_cap;
};

// Parses and checks a sweep configuration. `where` names the file in errors. Every error is
// Error(kInvalidInput) naming the key ("parameters.lr.distribution") and the allowed values.
SweepConfig parse_sweep_config(const pipeline::Value& doc, const std::string& where);
SweepConfig load_sweep_config(const std::filesystem::path& path);

// W&B's bands for a Hyperband `early_terminate` section, for tests and docs.
Hyperband hyperband_from_config(const pipeline::Value& section, const std::string& where);

}  // namespace plinth::experiments
