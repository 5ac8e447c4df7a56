#include "model/package.h"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "core/random_id.h"
#include "core/utc_time.h"
#include "model/mlflow_flavors.h"

namespace plinth::model {
namespace fs = std::filesystem;
using table::ColumnType;

std::string task_name(Task task) {
  switch (task) {
    case Task::kBinary:
      return "binary_classification";
    case Task::kMulticlass:
      return "multiclass_classification";
    case Task::kRegression:
      return "regression";
  }
  return "";
}

Task parse_task(const std::string& name) {
  for (Task t : {Task::kBinary, Task::kMulticlass, Task::kRegression})
    if (task_name(t) == name) return t;
  throw Error(ErrorCode::kInvalidInput,
              "unknown task '" + name +
                  "': use binary_classification, multiclass_classification or regression");
}

bool Constraint::allows(double v) const {
  if (gt && !(v > *gt)) return false;
  if (ge && !(v >= *ge)) return false;
  if (lt && !(v < *lt)) return false;
  if (le && !(v <= *le)) return false;
  if (in.empty()) return true;
  // `in` is kept as text (MLmodel's YAML); a number matches an entry of the same value.
  for (const auto& s : in) {
    char* end = nullptr;
    double x = std::strtod(s.c_str(), &end);
    if (end != s.c_str() && *end == '\0' && x == v) return true;
  }
  return false;
}

bool Constraint::allows(std::string_view v) const {
  if (in.empty()) return true;
  for (const auto& s : in)
    if (s == v) return true;
  return false;
}

std::string Constraint::describe() const {
  std::string out;
  auto add = [&](const char* op, const std::optional<double>& b) {
    if (!b) return;
    if (!out.empty()) out += " and ";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s %.17g", op, *b);
    out += buf;
  };
  add("gt", gt);
  add("ge", ge);
  add("lt", lt);
  add("le", le);
  if (!in.empty()) {
    if (!out.empty()) out += " and ";
    out += "in [";
    for (size_t i = 0; i < in.size(); ++i) out += (i ? ", " : "") + in[i];
    out += "]";
  }
  return out;
}

std::vector<std::string> ModelPackage::input_columns() const {
  std::vector<std::string> names;
  for (const auto& f : preprocessing) names.push_back(f.column);
  return names;
}

table::Schema ModelPackage::output_schema() const {
  table::Schema s{{outputs.label, task == Task::kRegression ? ColumnType::kFloat64 : target_type}};
  if (task == Task::kBinary) s.push_back({outputs.probability, ColumnType::kFloat64});
  if (task == Task::kMulticlass)
    for (const auto& c : classes)
      s.push_back({outputs.probability + "_" + c, ColumnType::kFloat64});
  return s;
}

namespace {

// MLflow's column-spec type names.
std::string mlflow_type(ColumnType t) {
  switch (t) {
    case ColumnType::kFloat64:
      return "double";
    case ColumnType::kInt64:
      return "long";
    case ColumnType::kBool:
      return "boolean";
    case ColumnType::kString:
      return "string";
    case ColumnType::kTimestamp:
      return "datetime";
  }
  return "";
}

ColumnType from_mlflow_type(const std::string& t, const fs::path& file) {
  for (ColumnType c : {ColumnType::kFloat64, ColumnType::kInt64, ColumnType::kBool,
                       ColumnType::kString, ColumnType::kTimestamp})
    if (mlflow_type(c) == t) return c;
  throw Error(ErrorCode::kInvalidInput, file.string() + ": unknown signature type '" + t + "'");
}

const char* kind_name(FeatureSpec::Kind k) {
  switch (k) {
    case FeatureSpec::Kind::kNumeric:
      return "numeric";
    case FeatureSpec::Kind::kStandardized:
      return "standardized";
    case FeatureSpec::Kind::kOneHot:
      return "one_hot";
    case FeatureSpec::Kind::kOrdinal:
      return "ordinal";
  }
  return "";
}

FeatureSpec::Kind parse_kind(const std::string& s, const fs::path& file) {
  for (auto k : {FeatureSpec::Kind::kNumeric, FeatureSpec::Kind::kStandardized,
                 FeatureSpec::Kind::kOneHot, FeatureSpec::Kind::kOrdinal})
    if (s == kind_name(k)) return k;
  throw Error(ErrorCode::kInvalidInput, file.string() + ": unknown preprocessing kind '" + s +
                                            "' (numeric, standardized, one_hot, ordinal)");
}

std::string now_text() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  char out[80];
  std::snprintf(out, sizeof out, "%s.%06lld", core::format_utc(t, "%Y-%m-%d %H:%M:%S").c_str(),
                static_cast<long long>(micros));
  return out;
}

std::string mlmodel_yaml(const ModelPackage& p) {
  YAML::Emitter y;
  y << YAML::BeginMap;
  y << YAML::Key << "artifact_path" << YAML::Value << "model";
  y << YAML::Key << "utc_time_created" << YAML::Value << YAML::SingleQuoted
    << (p.created.empty() ? now_text() : p.created);
  y << YAML::Key << "model_uuid" << YAML::Value
    << (p.model_uuid.empty() ? core::random_hex(32) : p.model_uuid);
  if (!p.run_id.empty()) y << YAML::Key << "run_id" << YAML::Value << p.run_id;
  y << YAML::Key << "flavors" << YAML::Value << YAML::BeginMap;
  if (p.flavor == "xgboost") {
    y << YAML::Key << "xgboost" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "data" << YAML::Value << "model.json";
    y << YAML::Key << "model_class" << YAML::Value << "xgboost.core.Booster";
    y << YAML::Key << "model_format" << YAML::Value << "json";
    y << YAML::Key << "xgb_version" << YAML::Value << p.xgb_version;
    y << YAML::EndMap;
  }
  y << YAML::Key << "plinth" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "plinth_version" << YAML::Value << "0.1.0";
  y << YAML::Key << "flavor" << YAML::Value << p.flavor;
  if (p.flavor == "rules") y << YAML::Key << "data" << YAML::Value << "rules.yaml";
  y << YAML::Key << "task" << YAML::Value << task_name(p.task);
  y << YAML::Key << "algorithm" << YAML::Value << p.algorithm;
  y << YAML::Key << "target" << YAML::Value << p.target;
  y << YAML::Key << "target_type" << YAML::Value << mlflow_type(p.target_type);
  if (!p.classes.empty()) y << YAML::Key << "classes" << YAML::Value << YAML::Flow << p.classes;
  y << YAML::Key << "outputs" << YAML::Value << YAML::Flow << YAML::BeginMap;
  y << YAML::Key << "label" << YAML::Value << p.outputs.label;
  if (p.task != Task::kRegression) {
    y << YAML::Key << "probability" << YAML::Value << p.outputs.probability;
    y << YAML::Key << "threshold" << YAML::Value << p.outputs.threshold;
  }
  y << YAML::EndMap;
  y << YAML::Key << "preprocessing" << YAML::Value << YAML::BeginSeq;
  for (const auto& f : p.preprocessing) {
    y << YAML::Flow << YAML::BeginMap;
    y << YAML::Key << "column" << YAML::Value << f.column;
    y << YAML::Key << "kind" << YAML::Value << kind_name(f.kind);
    if (!f.categories.empty()) {
      y << YAML::Key << "categories" << YAML::Value << YAML::Flow << f.categories;
      y << YAML::Key << "unknown" << YAML::Value << "other";
    }
    if (f.kind == FeatureSpec::Kind::kStandardized) {
      y << YAML::Key << "mean" << YAML::Value << f.mean;
      y << YAML::Key << "scale" << YAML::Value << f.scale;
    }
    if (f.missing) y << YAML::Key << "missing" << YAML::Value << *f.missing;
    y << YAML::EndMap;
  }
  y << YAML::EndSeq;
  if (!p.constraints.empty()) {
    y << YAML::Key << "constraints" << YAML::Value << YAML::BeginMap;
    for (const auto& [col, c] : p.constraints) {
      y << YAML::Key << col << YAML::Value << YAML::Flow << YAML::BeginMap;
      for (auto [op, b] : {std::pair{"gt", c.gt}, {"ge", c.ge}, {"lt", c.lt}, {"le", c.le}})
        if (b) y << YAML::Key << op << YAML::Value << *b;
      if (!c.in.empty()) y << YAML::Key << "in" << YAML::Value << YAML::Flow << c.in;
      y << YAML::EndMap;
    }
    y << YAML::EndMap;
  }
  if (p.features) {
    y << YAML::Key << "features" << YAML::Value << YAML::Flow << YAML::BeginMap;
    y << YAML::Key << "service" << YAML::Value << p.features->service;
    y << YAML::Key << "entity_key" << YAML::Value << p.features->entity_key;
    y << YAML::EndMap;
  }
  y << YAML::Key << "profile" << YAML::Value << "profile.json";
  y << YAML::Key << "training_data" << YAML::Value << YAML::Flow << YAML::BeginMap;
  y << YAML::Key << "path" << YAML::Value << p.training_data.path;
  y << YAML::Key << "md5" << YAML::Value << p.training_data.md5;
  y << YAML::Key << "rows" << YAML::Value << p.training_data.rows;
  y << YAML::EndMap;
  y << YAML::Key << "params" << YAML::Value << YAML::Flow << YAML::BeginMap;
  for (const auto& [k, v] : p.params) y << YAML::Key << k << YAML::Value << v;
  y << YAML::EndMap;
  y << YAML::EndMap;  // plinth
  y << YAML::EndMap;  // flavors

  nlohmann::json inputs = nlohmann::json::array(), outputs = nlohmann::json::array();
  for (const auto& f : p.preprocessing)
    inputs.push_back({{"name", f.column}, {"type", mlflow_type(f.type)}});
  for (const auto& f : p.output_schema())
    outputs.push_back({{"name", f.name},
                       {"type", f.name == p.outputs.label && p.task == Task::kBinary &&
                                        p.target_type == ColumnType::kBool
                                    ? "boolean"
                                    : mlflow_type(f.type)}});
  y << YAML::Key << "signature" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "inputs" << YAML::Value << YAML::SingleQuoted << inputs.dump();
  y << YAML::Key << "outputs" << YAML::Value << YAML::SingleQuoted << outputs.dump();
  y << YAML::EndMap;
  y << YAML::Key << "saved_input_example_info" << YAML::Value << YAML::Flow << YAML::BeginMap;
  y << YAML::Key << "artifact_path" << YAML::Value << "input_example.json";
  y << YAML::Key << "type" << YAML::Value << "dataframe";
  y << YAML::Key << "pandas_orient" << YAML::Value << "split";
  y << YAML::EndMap;
  y << YAML::EndMap;
  return std::string(y.c_str()) + "\n";
}

}  // namespace

void write_package(const ModelPackage& p, const PackageFiles& files, const fs::path& dir,
                   bool replace) {
  if (fs::exists(dir) && !replace)
    throw Error(ErrorCode::kConflict, "model package " + dir.string() +
                                          " already exists; a package is immutable: choose "
                                          "another --out or remove it first");
  fs::path parent = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
  fs::create_directories(parent);
  fs::path temp = parent / ("." + dir.filename().string() + ".tmp-" + core::random_hex(8));
  fs::create_directory(temp);
  try {
    core::write_file_atomic(temp / "MLmodel", mlmodel_yaml(p));
    if (p.flavor == "xgboost") core::write_file_atomic(temp / "model.json", p.model_json);
    if (p.flavor == "rules") {
      YAML::Emitter r;
      r << YAML::BeginMap << YAML::Key << "rule" << YAML::Value << p.rule << YAML::EndMap;
      core::write_file_atomic(temp / "rules.yaml", std::string(r.c_str()) + "\n");
    }
    for (const auto& [name, text] : files) core::write_file_atomic(temp / name, text);
    if (fs::exists(dir)) fs::remove_all(dir);
    core::rename_durable(temp, dir);
  } catch (...) {
    fs::remove_all(temp);
    throw;
  }
}

namespace {

YAML::Node need(const YAML::Node& node, const char* key, const fs::path& file) {
  if (!node[key])
    throw Error(ErrorCode::kInvalidInput,
                file.string() + ": missing field '" + key + "'; is this a Plinth model package?");
  return node[key];
}

}  // namespace

ModelPackage read_package(const fs::path& dir) {
  fs::path file = dir / "MLmodel";
  if (!fs::exists(file))
    throw Error(ErrorCode::kNotFound, "no model package at " + dir.string() +
                                          " (no MLmodel file); train one with "
                                          "'plinth train'");
  ModelPackage p;
  try {
    YAML::Node root = YAML::LoadFile(file.string());
    if (!need(root, "flavors", file)["plinth"]) return read_mlflow_model(dir, root);
    YAML::Node pl = need(need(root, "flavors", file), "plinth", file);
    p.created = root["utc_time_created"].as<std::string>("");
    p.model_uuid = root["model_uuid"].as<std::string>("");
    p.run_id = root["run_id"].as<std::string>("");
    p.flavor = need(pl, "flavor", file).as<std::string>();
    p.task = parse_task(need(pl, "task", file).as<std::string>());
    p.algorithm = pl["algorithm"].as<std::string>("");
    p.target = need(pl, "target", file).as<std::string>();
    p.target_type = from_mlflow_type(pl["target_type"].as<std::string>("long"), file);
    if (pl["classes"]) p.classes = pl["classes"].as<std::vector<std::string>>();
    YAML::Node out = need(pl, "outputs", file);
    p.outputs.label = need(out, "label", file).as<std::string>();
    p.outputs.probability = out["probability"].as<std::string>("");
    p.outputs.threshold = out["threshold"].as<double>(0.5);
    auto inputs = nlohmann::json::parse(
        need(need(root, "signature", file), "inputs", file).as<std::string>());
    std::map<std::string, ColumnType> types;
    for (const auto& i : inputs)
      types[i.at("name").get<std::string>()] =
          from_mlflow_type(i.at("type").get<std::string>(), file);
    for (const auto& n : need(pl, "preprocessing", file)) {
      FeatureSpec f;
      f.column = need(n, "column", file).as<std::string>();
      f.kind = parse_kind(need(n, "kind", file).as<std::string>(), file);
      f.type = types.count(f.column) ? types[f.column] : ColumnType::kFloat64;
      if (n["categories"]) f.categories = n["categories"].as<std::vector<std::string>>();
      f.mean = n["mean"].as<double>(0);
      f.scale = n["scale"].as<double>(1);
      if (n["missing"]) f.missing = n["missing"].as<double>();
      p.preprocessing.push_back(std::move(f));
    }
    for (const auto& kv : pl["constraints"]) {
      Constraint c;
      for (auto [op, b] : {std::pair{"gt", &c.gt}, {"ge", &c.ge}, {"lt", &c.lt}, {"le", &c.le}})
        if (kv.second[op]) *b = kv.second[op].as<double>();
      if (kv.second["in"]) c.in = kv.second["in"].as<std::vector<std::string>>();
      p.constraints[kv.first.as<std::string>()] = c;
    }
    for (const auto& kv : pl["params"])
      p.params[kv.first.as<std::string>()] = kv.second.as<std::string>();
    if (auto f = pl["features"])
      p.features = FeatureLookup{need(f, "service", file).as<std::string>(),
                                 need(f, "entity_key", file).as<std::string>()};
    if (auto td = pl["training_data"]) {
      p.training_data.path = td["path"].as<std::string>("");
      p.training_data.md5 = td["md5"].as<std::string>("");
      p.training_data.rows = td["rows"].as<size_t>(0);
    }
    if (p.flavor == "xgboost") {
      p.xgb_version = root["flavors"]["xgboost"]["xgb_version"].as<std::string>("");
      p.model_json = core::read_file(dir / "model.json");
    } else if (p.flavor == "rules") {
      p.rule = need(YAML::LoadFile((dir / "rules.yaml").string()), "rule", dir / "rules.yaml")
                   .as<std::string>();
    } else {
      throw Error(ErrorCode::kInvalidInput,
                  file.string() + ": unknown flavor '" + p.flavor + "' (xgboost or rules)");
    }
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCode::kInvalidInput, file.string() + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kInvalidInput, file.string() + ": signature: " + e.what());
  }
  return p;
}

}  // namespace plinth::model
