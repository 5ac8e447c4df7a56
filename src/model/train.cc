#include "model/train.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <set>

#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "model/predictor.h"
#include "model/profile.h"
#include "model/rules.h"
#include "model/xgboost_flavor.h"
#include "table/dataset.h"
#include "table/table_io.h"

namespace plinth::model {
namespace fs = std::filesystem;
using table::ColumnType;

namespace {

// String columns with more distinct values than this are identifiers, not categories.
constexpr size_t kMaxCategories = 100;
// Integer targets with at most this many distinct values are classes, not quantities.
constexpr size_t kMaxIntegerClasses = 20;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Constraint parse_constraint(const YAML::Node& n) {
  Constraint c;
  for (auto [op, b] : {std::pair{"gt", &c.gt}, {"ge", &c.ge}, {"lt", &c.lt}, {"le", &c.le}})
    if (n[op]) *b = n[op].as<double>();
  if (n["in"]) c.in = n["in"].as<std::vector<std::string>>();
  return c;
}

// Sorted distinct target values as text (numbers in numeric order).
std::vector<std::string> distinct_classes(const table::Column& c) {
  std::set<std::string> text;
  std::set<double> numbers;
  for (size_t i = 0; i < c.size(); ++i) {
    if (c.is_null(i)) continue;
    if (c.type == ColumnType::kInt64 || c.type == ColumnType::kFloat64) {
      numbers.insert(c.type == ColumnType::kInt64 ? static_cast<double>(c.i64[i]) : c.f64[i]);
      if (numbers.size() > kMaxIntegerClasses) break;
    } else {
      text.insert(value_text(c, i));
    }
  }
  if (text.empty() && !numbers.empty()) {
    std::vector<std::string> out;
    for (double v : numbers) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", v);
      out.push_back(buf);
    }
    return out;
  }
  return {text.begin(), text.end()};
}

// A text column whose values are nearly all numbers is a numeric column with a typo; training
// on it as categories would hide the mistake.
void refuse_mostly_numeric(const table::Column& c, const std::string& source) {
  size_t values = 0, numbers = 0, first_text = 0;
  bool seen_text = false;
  for (size_t i = 0; i < c.size(); ++i) {
    if (c.is_null(i)) continue;
    ++values;
    std::string s(c.string_at(i));
    char* end = nullptr;
    std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) {
      ++numbers;
    } else if (!seen_text) {
      seen_text = true;
      first_text = i;
    }
  }
  if (seen_text && numbers >= values * 0.9)
    throw Error(ErrorCode::kInvalidInput,
                "column '" + c.name + "' in " + source + " must be numeric but holds '" +
                    std::string(c.string_at(first_text)) + "' at row " +
                    std::to_string(first_text + 1) + "; fix the value or the column");
}

std::vector<std::string> pick_features(const table::Table& t, const TrainOptions& o,
                                       std::vector<std::string>& skipped) {
  if (!o.features.empty()) {
    table::check_columns_exist(t.schema(), o.features, o.data.string());
    return o.features;
  }
  std::vector<std::string> out;
  for (const auto& c : t.columns()) {
    if (c.name == o.target) continue;
    if (c.type == ColumnType::kTimestamp) {
      skipped.push_back(c.name + " (timestamp)");
      continue;
    }
    if (c.type == ColumnType::kString) {
      refuse_mostly_numeric(c, o.data.string());
      std::set<std::string_view> seen;
      for (size_t i = 0; i < c.size() && seen.size() <= kMaxCategories; ++i)
        if (!c.is_null(i)) seen.insert(c.string_at(i));
      if (seen.size() > kMaxCategories) {
        skipped.push_back(c.name + " (more than " + std::to_string(kMaxCategories) +
                          " distinct values: an identifier?)");
        continue;
      }
    }
    out.push_back(c.name);
  }
  if (out.empty())
    throw Error(ErrorCode::kInvalidInput,
                o.data.string() + " has no usable feature column besides the target");
  return out;
}

// Stratified: each class is shuffled and split on its own, so both parts keep its share.
void split_rows(const std::vector<double>& y, bool stratify, const TrainOptions& o,
                std::vector<size_t>& train_rows, std::vector<size_t>& test_rows) {
  std::mt19937_64 rng(o.seed);
  std::map<double, std::vector<size_t>> groups;
  for (size_t i = 0; i < y.size(); ++i) groups[stratify ? y[i] : 0.0].push_back(i);
  for (auto& [label, rows] : groups) {
    std::shuffle(rows.begin(), rows.end(), rng);
    auto n_test = static_cast<size_t>(std::llround(o.test_size * static_cast<double>(rows.size())));
    if (stratify && rows.size() >= 2) n_test = std::clamp<size_t>(n_test, 1, rows.size() - 1);
    test_rows.insert(test_rows.end(), rows.begin(), rows.begin() + static_cast<long>(n_test));
    train_rows.insert(train_rows.end(), rows.begin() + static_cast<long>(n_test), rows.end());
  }
  std::sort(train_rows.begin(), train_rows.end());
  std::sort(test_rows.begin(), test_rows.end());
}

}  // namespace

std::string input_example(const ModelPackage& p, const table::Table& t) {
  nlohmann::json columns = p.input_columns(), data = nlohmann::json::array();
  for (size_t r = 0; r < std::min<size_t>(5, t.num_rows()); ++r) {
    nlohmann::json row = nlohmann::json::array();
    for (const auto& name : p.input_columns()) {
      const table::Column& c = t.column(name);
      if (c.is_null(r))
        row.push_back(nullptr);
      else if (c.type == ColumnType::kString)
        row.push_back(std::string(c.string_at(r)));
      else if (c.type == ColumnType::kFloat64)
        row.push_back(c.f64[r]);
      else if (c.type == ColumnType::kBool)
        row.push_back(c.b[r] != 0);
      else
        row.push_back(c.i64[r]);
    }
    data.push_back(row);
  }
  return nlohmann::json{{"columns", columns}, {"data", data}}.dump() + "\n";
}

std::string default_probability_name(const std::string& target) {
  if (target.rfind("is_", 0) == 0 && target.size() > 3) return target.substr(3) + "_probability";
  return target + "_probability";
}

void load_train_params(const fs::path& file, const std::string& section, TrainOptions& o) {
  try {
    YAML::Node root = YAML::LoadFile(file.string());
    YAML::Node s = section.empty() ? root : root[section];
    if (!s || !s.IsMap())
      throw Error(ErrorCode::kInvalidInput, file.string() + " has no section '" + section +
                                                "' (a mapping of training parameters)");
    for (const auto& kv : s) {
      std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (key == "algo" || key == "algorithm")
        o.algorithm = v.as<std::string>();
      else if (key == "task")
        o.task = parse_task(v.as<std::string>());
      else if (key == "features")
        o.features = v.as<std::vector<std::string>>();
      else if (key == "rule")
        o.rule = v.as<std::string>();
      else if (key == "categorical")
        o.preprocess.one_hot = v.as<std::string>() != "ordinal";
      else if (key == "standardize")
        o.standardize = v.as<bool>();
      else if (key == "missing")
        o.preprocess.missing = v.as<std::map<std::string, double>>();
      else if (key == "threshold")
        o.outputs.threshold = v.as<double>();
      else if (key == "outputs") {
        o.outputs.label = v["label"].as<std::string>("");
        o.outputs.probability = v["probability"].as<std::string>("");
      } else if (key == "constraints") {
        for (const auto& c : v)
          o.constraints[c.first.as<std::string>()] = parse_constraint(c.second);
      } else {
        o.params[key] = v.as<std::string>();
      }
    }
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCode::kInvalidInput, file.string() + ": " + e.what());
  }
}

TrainResult train(const TrainOptions& o) {
  if (o.test_size <= 0 || o.test_size >= 1)
    throw Error(ErrorCode::kInvalidInput, "--test-size must be between 0 and 1, e.g. 0.2");
  table::Table t = table::read_table(o.data);
  if (t.num_rows() == 0)
    throw Error(ErrorCode::kInvalidInput, o.data.string() + " has no rows; nothing to train on");
  if (!t.find(o.target)) {
    std::string names;
    for (const auto& c : t.columns()) names += (names.empty() ? "" : ", ") + c.name;
    throw Error(ErrorCode::kNotFound, "target column '" + o.target + "' is not in " +
                                          o.data.string() + " (columns: " + names + ")");
  }
  const table::Column& target = t.column(o.target);
  TrainResult r;
  ModelPackage& p = r.package;
  p.target = o.target;
  p.target_type = target.type;
  p.algorithm = o.algorithm;
  p.flavor = o.algorithm == "rules" ? "rules" : "xgboost";
  p.run_id = o.run_id;
  std::vector<std::string> classes = distinct_classes(target);
  if (o.task) {
    p.task = *o.task;
  } else if (target.type == ColumnType::kFloat64 ||
             (target.type == ColumnType::kInt64 && classes.size() > kMaxIntegerClasses)) {
    p.task = Task::kRegression;
  } else {
    p.task = classes.size() == 2 ? Task::kBinary : Task::kMulticlass;
  }
  if (p.task != Task::kRegression) {
    if (classes.size() < 2)
      throw Error(ErrorCode::kInvalidInput,
                  "target '" + o.target + "' in " + o.data.string() + " has " +
                      (classes.empty() ? "no values" : "one class ('" + classes[0] + "')") +
                      "; a classifier needs examples of at least two classes");
    p.classes = classes;
  }
  if (p.flavor == "rules" && p.task != Task::kBinary)
    throw Error(ErrorCode::kInvalidInput, "the rules flavor is for binary targets; '" + o.target +
                                              "' is " + task_name(p.task));
  p.outputs = o.outputs;
  if (p.outputs.label.empty()) p.outputs.label = o.target;
  if (p.outputs.probability.empty()) p.outputs.probability = default_probability_name(o.target);
  p.constraints = o.constraints;
  std::vector<double> y = encode_target(p, target, o.data.string());

  std::vector<size_t> train_rows, test_rows;
  split_rows(y, p.task != Task::kRegression, o, train_rows, test_rows);
  table::Table train_t = take_rows(t, train_rows), test_t = take_rows(t, test_rows);
  std::vector<double> y_train, y_test;
  for (size_t i : train_rows) y_train.push_back(y[i]);
  for (size_t i : test_rows) y_test.push_back(y[i]);
  r.train_rows = train_rows.size();
  r.test_rows = test_rows.size();

  auto start = std::chrono::steady_clock::now();
  if (p.flavor == "rules") {
    std::vector<std::string> features = pick_features(t, o, r.skipped_columns);
    p.rule = o.rule.empty() ? learn_rule(train_t, features, y_train) : o.rule;
    Rule rule(p.rule);
    PreprocessOptions plain;
    p.preprocessing = fit_preprocessing(train_t, rule.columns(), plain);
    p.params["rule"] = p.rule;
  } else {
    std::vector<std::string> features = pick_features(t, o, r.skipped_columns);
    PreprocessOptions pre = o.preprocess;
    pre.standardize = o.standardize.value_or(o.algorithm == "linear");
    p.preprocessing = fit_preprocessing(train_t, features, pre);
    FeatureMatrix x = transform(p.preprocessing, train_t, o.data.string());
    XgbTrainOptions xo;
    xo.task = p.task;
    xo.num_class = p.classes.size();
    xo.algorithm = o.algorithm;
    xo.params = o.params;
    xo.nthread = static_cast<int>(o.threads);
    xo.seed = o.seed;
    p.params = effective_params(xo);
    std::vector<float> labels(y_train.begin(), y_train.end());
    p.model_json = train_xgboost(x, labels, xo);
    p.xgb_version = xgboost_version();
  }
  r.fit_seconds = seconds_since(start);

  Predictor predictor(p, Engine::kCompiled, 1);
  start = std::chrono::steady_clock::now();
  Scores test_scores = predictor.predict(test_t, o.data.string());
  r.score_us_per_row = seconds_since(start) * 1e6 / std::max<size_t>(1, r.test_rows);
  r.evaluation = evaluate_scores(predictor, y_test, test_scores);

  Scores train_scores = predictor.predict(train_t, o.data.string());
  std::vector<double> reference(train_scores.rows);
  for (size_t i = 0; i < train_scores.rows; ++i) {
    const double* row = train_scores.values.data() + i * train_scores.width;
    reference[i] = *std::max_element(row, row + train_scores.width);
  }
  p.training_data = {o.data.string(), table::dataset_digest(o.data.string()), t.num_rows()};
  r.files["profile.json"] = build_profile(p, train_t, reference).dump(1) + "\n";
  r.files["input_example.json"] = input_example(p, train_t);
  r.files["metrics.json"] = r.evaluation.metrics.dump(2) + "\n";
  return r;
}

std::vector<LadderStep> baseline(TrainOptions options, const std::vector<std::string>& algorithms) {
  std::vector<LadderStep> ladder;
  for (const auto& algo : algorithms) {
    options.algorithm = algo;
    TrainResult r = train(options);
    LadderStep s;
    s.algorithm = algo;
    const auto& m = r.evaluation.metrics;
    switch (r.package.task) {
      case Task::kBinary:
        s.metric = "roc_auc";
        s.f1 = m.value("f1", 0.0);
        break;
      case Task::kMulticlass:
        s.metric = "f1_macro";
        s.f1 = m.value("f1_macro", 0.0);
        break;
      case Task::kRegression:
        s.metric = "rmse";
        break;
    }
    s.value = m[s.metric].is_number() ? m[s.metric].get<double>() : NAN;
    s.score_us_per_row = r.score_us_per_row;
    s.model_bytes = algo == "rules" ? r.package.rule.size() : r.package.model_json.size();
    s.fit_seconds = r.fit_seconds;
    ladder.push_back(s);
  }
  return ladder;
}

}  // namespace plinth::model
