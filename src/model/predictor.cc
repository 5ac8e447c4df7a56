#include "model/predictor.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/error.h"
#include "core/thread_pool.h"
#include "model/lightgbm_model.h"
#include "model/onnx_flavor.h"
#include "model/preprocess.h"
#include "model/rules.h"
#include "model/tree_engine.h"
#include "model/xgboost_flavor.h"
#include "monitor/quality.h"

namespace plinth::model {
using table::ColumnType;

namespace {
// Rows per parallel task: large enough to amortise scheduling, small enough to balance.
constexpr size_t kRowsPerTask = 4096;
}  // namespace

struct Predictor::Impl {
  ModelPackage package;
  size_t threads = 1;
  std::optional<CompiledModel> compiled;
  std::unique_ptr<XgbBooster> booster;
  std::optional<Rule> rule;
  std::unique_ptr<OnnxScorer> onnx;
  std::unique_ptr<core::ThreadPool> pool;
};

Predictor::Predictor(const ModelPackage& package, Engine engine, size_t threads)
    : impl_(std::make_unique<Impl>()) {
  impl_->package = package;
  impl_->threads = std::max<size_t>(threads, 1);
  if (package.flavor == "rules") {
    impl_->rule.emplace(package.rule);
    return;
  }
  if (package.flavor == "onnx") {
    impl_->onnx = std::make_unique<OnnxScorer>(package);
    if (impl_->threads > 1) impl_->pool = std::make_unique<core::ThreadPool>(impl_->threads);
    return;
  }
  if (package.flavor == "lightgbm") {
    // LightGBM has no library in Plinth: the compiled engine is its only scorer.
    impl_->compiled =
        CompiledModel::compile(read_lightgbm_model(package.lightgbm_model, "model").spec);
  } else if (engine == Engine::kCompiled) {
    try {
      impl_->compiled = CompiledModel::compile(package.model_json);
    } catch (const Error&) {
      impl_->compiled.reset();  // not compilable: XGBoost scores it
    }
  }
  if (!impl_->compiled)
    impl_->booster = std::make_unique<XgbBooster>(package.model_json, static_cast<int>(threads));
  else if (impl_->threads > 1)
    impl_->pool = std::make_unique<core::ThreadPool>(impl_->threads);
}

Predictor::~Predictor() = default;
const ModelPackage& Predictor::package() const { return impl_->package; }

std::string Predictor::engine_name() const {
  if (impl_->onnx) return "onnx";
  return impl_->rule ? "rules" : impl_->compiled ? "compiled" : "xgboost";
}

Scores Predictor::predict(const table::Table& t, const std::string& source) const {
  const ModelPackage& p = impl_->package;
  if (impl_->onnx) return impl_->onnx->predict(t, source, impl_->pool.get());
  Scores s;
  s.rows = t.num_rows();
  if (impl_->rule) {
    check_inputs(p.preprocessing, t.schema(), source);
    auto hits = impl_->rule->evaluate(t, source);
    s.values.assign(hits.begin(), hits.end());
    return s;
  }
  FeatureMatrix x = transform(p.preprocessing, t, source);
  s.unknown = x.unknown;
  if (impl_->compiled) {
    const CompiledModel& m = *impl_->compiled;
    if (m.num_features() != x.cols)
      throw Error(ErrorCode::kInvalidInput,
                  "model.json expects " + std::to_string(m.num_features()) +
                      " features but the preprocessing makes " + std::to_string(x.cols));
    s.width = m.num_outputs();
    s.values.resize(s.rows * s.width);
    size_t tasks = (s.rows + kRowsPerTask - 1) / kRowsPerTask;
    auto run = [&](size_t i) {
      size_t begin = i * kRowsPerTask, n = std::min(kRowsPerTask, s.rows - begin);
      m.predict(x.values.data() + begin * x.cols, n, s.values.data() + begin * s.width);
    };
    if (impl_->pool && tasks > 1)
      impl_->pool->parallel_for(tasks, run);
    else
      for (size_t i = 0; i < tasks; ++i) run(i);
    return s;
  }
  std::vector<float> v = impl_->booster->predict(x);
  s.width = s.rows ? v.size() / s.rows : 1;
  s.values.assign(v.begin(), v.end());
  return s;
}

std::vector<double> Predictor::predicted_classes(const Scores& s) const {
  if (!s.label_index.empty()) return s.label_index;
  std::vector<double> out(s.rows);
  for (size_t i = 0; i < s.rows; ++i) {
    if (s.width == 1) {
      out[i] = s.values[i] >= impl_->package.outputs.threshold ? 1 : 0;
    } else {
      const double* row = s.values.data() + i * s.width;
      out[i] = static_cast<double>(std::max_element(row, row + s.width) - row);
    }
  }
  return out;
}

std::vector<table::Column> Predictor::outputs(const Scores& s) const {
  const ModelPackage& p = impl_->package;
  table::Schema schema = p.output_schema();
  std::vector<table::Column> cols;
  for (const auto& f : schema) cols.emplace_back(f.name, f.type);
  table::Column& label = cols[0];
  label.reserve(s.rows);
  if (p.task == Task::kRegression) {
    label.f64 = s.values;
    return cols;
  }
  std::vector<double> classes = predicted_classes(s);
  for (size_t i = 0; i < s.rows; ++i) {
    const std::string& c = p.classes.at(static_cast<size_t>(classes[i]));
    switch (label.type) {
      case ColumnType::kInt64:
        label.i64.push_back(std::stoll(c));
        break;
      case ColumnType::kBool:
        label.b.push_back(c == "true");
        break;
      case ColumnType::kFloat64:
        label.f64.push_back(std::stod(c));
        break;
      default:
        label.str.push_back(c);
    }
  }
  for (size_t k = 1; k < cols.size(); ++k) {
    cols[k].f64.resize(s.rows);
    for (size_t i = 0; i < s.rows; ++i)
      cols[k].f64[i] = s.width == 1 ? s.values[i] : s.values[i * s.width + (k - 1)];
  }
  return cols;
}

std::string value_text(const table::Column& c, size_t row) {
  switch (c.type) {
    case ColumnType::kInt64:
      return std::to_string(c.i64[row]);
    case ColumnType::kBool:
      return c.b[row] ? "true" : "false";
    case ColumnType::kFloat64: {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", c.f64[row]);
      return buf;
    }
    case ColumnType::kString:
      return std::string(c.string_at(row));
    case ColumnType::kTimestamp:
      return std::to_string(c.i64[row]);
  }
  return "";
}

std::vector<double> encode_target(const ModelPackage& p, const table::Column& c,
                                  const std::string& source) {
  std::vector<double> y(c.size());
  if (p.task == Task::kRegression) {
    y = monitor::numeric_values(c, source);
    for (size_t i = 0; i < y.size(); ++i)
      if (std::isnan(y[i]))
        throw Error(ErrorCode::kInvalidInput, "target '" + c.name + "' in " + source +
                                                  " is missing at row " + std::to_string(i + 1));
    return y;
  }
  for (size_t i = 0; i < c.size(); ++i) {
    if (c.is_null(i))
      throw Error(ErrorCode::kInvalidInput, "target '" + c.name + "' in " + source +
                                                " is missing at row " + std::to_string(i + 1));
    std::string v = value_text(c, i);
    auto it = std::find(p.classes.begin(), p.classes.end(), v);
    if (it == p.classes.end())
      throw Error(ErrorCode::kInvalidInput, "target '" + c.name + "' in " + source + " holds '" +
                                                v + "' at row " + std::to_string(i + 1) +
                                                ", a class the model was not trained on");
    y[i] = static_cast<double>(it - p.classes.begin());
  }
  return y;
}

std::vector<uint8_t> constraint_violations(const ModelPackage& p, const table::Table& t,
                                           size_t first_row, const std::string& source,
                                           std::string* first) {
  std::vector<uint8_t> invalid(t.num_rows(), 0);
  size_t first_invalid = t.num_rows();
  for (const auto& constraint : p.constraints) {
    // Named, not structured bindings: clang 14 (the fuzz build) cannot capture those.
    const std::string& name = constraint.first;
    const Constraint& rule = constraint.second;
    auto index = t.find(name);
    if (!index) continue;
    const table::Column& c = t.column(*index);
    auto flag = [&](size_t row, const std::string& value) {
      invalid[row] = 1;
      if (row >= first_invalid) return;
      first_invalid = row;
      *first = source + " row " + std::to_string(first_row + row + 1) + ": column '" + name +
               "' = " + value + " breaks the model's constraint (" + rule.describe() +
               "); fix or drop the row, or score with --on-invalid skip|null";
    };
    if (c.type == ColumnType::kString) {
      for (size_t i = 0; i < c.size(); ++i)
        if (!c.is_null(i) && !rule.allows(c.string_at(i))) flag(i, std::string(c.string_at(i)));
      continue;
    }
    std::vector<double> v = monitor::numeric_values(c, source);
    for (size_t i = 0; i < v.size(); ++i)
      if (!std::isnan(v[i]) && !rule.allows(v[i])) flag(i, value_text(c, i));
  }
  return invalid;
}

table::Table take_rows(const table::Table& t, const std::vector<size_t>& rows) {
  std::vector<table::Column> cols;
  for (const auto& c : t.columns()) {
    table::Column out(c.name, c.type);
    out.reserve(rows.size());
    for (size_t r : rows) out.append(c, r, r + 1);
    cols.push_back(std::move(out));
  }
  return table::Table(std::move(cols));
}

}  // namespace plinth::model
