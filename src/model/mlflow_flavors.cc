#include "model/mlflow_flavors.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "model/lightgbm_model.h"
#include "model/skops_file.h"
#include "model/tree_engine.h"
#include "model/xgboost_flavor.h"
#include "model/xgboost_model.h"

namespace plinth::model {
namespace fs = std::filesystem;
using table::ColumnType;

namespace {

const char* kOnnxAdvice =
    "Plinth runs no Python, so it cannot load a Python object (pickle or skops): log the "
    "model as ONNX instead, e.g. "
    "mlflow.onnx.log_model(skl2onnx.to_onnx(model, X[:1]), name=\"model\") (or, for XGBoost and "
    "LightGBM, mlflow.xgboost.log_model / mlflow.lightgbm.log_model, which Plinth serves as they "
    "are)";

[[noreturn]] void refuse(const fs::path& dir, const std::string& what) {
  throw Error(ErrorCode::kInvalidInput, "MLflow model " + dir.string() + ": " + what);
}

// The signature's input columns (MLflow's column-based signature), by name, in order.
struct SignatureColumn {
  std::string name, type;
};
std::vector<SignatureColumn> signature_inputs(const YAML::Node& root, const fs::path& file) {
  std::vector<SignatureColumn> out;
  if (!root["signature"] || !root["signature"]["inputs"] || root["signature"]["inputs"].IsNull())
    return out;
  auto inputs =
      nlohmann::json::parse(root["signature"]["inputs"].as<std::string>(), nullptr, false);
  if (inputs.is_discarded() || !inputs.is_array())
    throw Error(ErrorCode::kInvalidInput, file.string() + ": signature.inputs is not a JSON list");
  for (const auto& i : inputs) {
    if (!i.is_object() || !i.contains("name") || i.value("type", "") == "tensor") return {};
    out.push_back({i.at("name").get<std::string>(), i.value("type", "double")});
  }
  return out;
}

// The signature's single named output column, if it has one: the label's name.
std::string signature_label(const YAML::Node& root) {
  if (!root["signature"] || !root["signature"]["outputs"] || root["signature"]["outputs"].IsNull())
    return "";
  auto outputs =
      nlohmann::json::parse(root["signature"]["outputs"].as<std::string>(), nullptr, false);
  if (outputs.is_array() && outputs.size() == 1 && outputs[0].is_object())
    return outputs[0].value("name", "");
  return "";
}

// The inputs: the model's own feature names in its order when it has them (typed by the
// signature), else the signature's columns.
std::vector<FeatureSpec> inputs(const fs::path& dir, const YAML::Node& root,
                                std::vector<std::string> names, size_t num_features,
                                const LightgbmModel* lgb) {
  std::vector<SignatureColumn> signature = signature_inputs(root, dir / "MLmodel");
  bool auto_names = names.empty() || std::all_of(names.begin(), names.end(), [&](const auto& n) {
                      return n.rfind("Column_", 0) == 0;  // LightGBM's names for unnamed data
                    });
  if (auto_names) {
    if (signature.empty())
      refuse(dir,
             "the model was trained without feature names and MLmodel has no column "
             "signature, so the input columns are unknown: log it with "
             "signature=mlflow.models.infer_signature(X, y) and a pandas DataFrame X");
    names.clear();
    for (const auto& c : signature) names.push_back(c.name);
  }
  if (names.size() != num_features)
    refuse(dir, "the signature lists " + std::to_string(names.size()) +
                    " input columns but the model reads " + std::to_string(num_features) +
                    " features");
  std::map<std::string, std::string> types;
  for (const auto& c : signature) types[c.name] = c.type;
  std::vector<FeatureSpec> specs;
  for (size_t i = 0; i < names.size(); ++i) {
    FeatureSpec f;
    f.column = names[i];
    std::string type = types.count(names[i]) ? types[names[i]] : "double";
    if (!signature.empty() && !types.count(names[i]))
      refuse(dir, "the model reads feature '" + names[i] + "', which the signature lacks");
    if (lgb) {
      auto it = std::find(lgb->categorical_features.begin(), lgb->categorical_features.end(), i);
      if (it != lgb->categorical_features.end()) {
        f.kind = FeatureSpec::Kind::kOrdinal;
        f.type = ColumnType::kString;
        f.categories = lgb->categories[static_cast<size_t>(it - lgb->categorical_features.begin())];
        specs.push_back(std::move(f));
        continue;
      }
    }
    if (type == "double" || type == "float")
      f.type = ColumnType::kFloat64;
    else if (type == "long" || type == "integer")
      f.type = ColumnType::kInt64;
    else if (type == "boolean")
      f.type = ColumnType::kBool;
    else
      refuse(dir, "input column '" + names[i] + "' is " + type +
                      " in the signature but the model reads a number: encode it as numbers "
                      "before training (LightGBM: a pandas 'category' column is read as text)");
    specs.push_back(std::move(f));
  }
  return specs;
}

ColumnType classes_type(const std::vector<std::string>& classes) {
  auto all = [&](auto pred) { return std::all_of(classes.begin(), classes.end(), pred); };
  if (all([](const std::string& c) { return c == "true" || c == "false"; }))
    return ColumnType::kBool;
  if (all([](const std::string& c) {
        char* end = nullptr;
        std::strtoll(c.c_str(), &end, 10);
        return !c.empty() && *end == '\0';
      }))
    return ColumnType::kInt64;
  if (all([](const std::string& c) {
        char* end = nullptr;
        std::strtod(c.c_str(), &end);
        return !c.empty() && *end == '\0';
      }))
    return ColumnType::kFloat64;
  return ColumnType::kString;
}

std::vector<std::string> class_indices(size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back(std::to_string(i));
  return out;
}

fs::path data_file(const fs::path& dir, const YAML::Node& flavor, const char* fallback) {
  fs::path file = dir / flavor["data"].as<std::string>(fallback);
  if (!fs::exists(file)) refuse(dir, "the model file " + file.filename().string() + " is missing");
  return file;
}

void read_xgboost(const fs::path& dir, const YAML::Node& root, ModelPackage& p) {
  const YAML::Node& flavor = root["flavors"]["xgboost"];
  fs::path file = data_file(dir, flavor, "model.xgb");
  std::string bytes = core::read_file(file);
  // What the bytes are, whatever the name: MLflow's model_format json/ubj, or an older "xgb"
  // that XGBoost 2.x+ writes as UBJSON and 1.x as its legacy binary format.
  bool json = bytes.size() > 1 && bytes[0] == '{' &&
              (bytes[1] == '"' || std::isspace(static_cast<unsigned char>(bytes[1])));
  bool ubj = !json && !bytes.empty() && bytes[0] == '{';
  if (!json && !ubj)
    refuse(dir, file.filename().string() +
                    " is in XGBoost's legacy binary format, which Plinth does not read: log the "
                    "model with mlflow.xgboost.log_model(..., model_format=\"json\") or \"ubj\"");
  XgbModelFile m = read_xgboost_model(bytes, ubj, file.string());
  // Served by the compiled engine, else by the XGBoost library here: one of them must take it.
  try {
    CompiledModel::compile(m.json);
  } catch (const Error& compile_error) {
    try {
      XgbBooster(m.json, 1);
    } catch (const Error& load_error) {
      std::string why = load_error.what();
      refuse(dir, file.filename().string() + " (XGBoost " + m.version + ", objective " +
                      m.objective + ") cannot be scored: the compiled engine says \"" +
                      compile_error.what() + "\" and XGBoost " + xgboost_version() + " says \"" +
                      why.substr(0, why.find('\n')) + "\"");
    }
  }
  p.flavor = "xgboost";
  p.model_json = std::move(m.json);
  p.xgb_version = flavor["xgb_version"].as<std::string>(m.version);
  auto learner = nlohmann::json::parse(p.model_json).at("learner");
  size_t num_features =
      std::stoul(learner.at("learner_model_param").at("num_feature").get<std::string>());
  p.preprocessing = inputs(dir, root, m.feature_names, num_features, nullptr);
  if (m.objective == "binary:logistic") {
    p.task = Task::kBinary;
    p.classes = class_indices(2);
  } else if (m.objective == "multi:softprob" || m.objective == "multi:softmax") {
    p.task = Task::kMulticlass;
    p.classes = class_indices(m.num_class);
  } else {
    p.task = Task::kRegression;
  }
  p.algorithm = "xgboost";
  p.params["model_class"] = flavor["model_class"].as<std::string>("xgboost.core.Booster");
}

void read_lightgbm(const fs::path& dir, const YAML::Node& root, ModelPackage& p) {
  const YAML::Node& flavor = root["flavors"]["lightgbm"];
  fs::path file = data_file(dir, flavor, "model.lgb");
  std::string ext = file.extension().string();
  std::vector<std::string> classes;
  if (ext == ".skops") {
    SkopsLightgbm s = read_skops_lightgbm(file);
    p.lightgbm_model = std::move(s.model_text);
    classes = std::move(s.classes);
  } else if (ext == ".pkl" || ext == ".pickle") {
    refuse(dir, file.filename().string() + " is a pickle (serialization_format " +
                    flavor["serialization_format"].as<std::string>("cloudpickle") +
                    "). Log the model with MLflow's default serialization_format=\"skops\", or "
                    "log its booster_ (a text model); " +
                    kOnnxAdvice);
  } else {
    p.lightgbm_model = core::read_file(file);
  }
  LightgbmModel m = read_lightgbm_model(p.lightgbm_model, file.string());
  p.flavor = "lightgbm";
  p.preprocessing = inputs(dir, root, m.feature_names, m.spec.num_features, &m);
  if (m.objective == "binary") {
    p.task = Task::kBinary;
    if (classes.empty()) classes = class_indices(2);
  } else if (m.spec.transform == TreeEnsembleSpec::Transform::kSoftmax) {
    p.task = Task::kMulticlass;
    if (classes.empty()) classes = class_indices(m.num_class);
  } else {
    p.task = Task::kRegression;
    classes.clear();
  }
  if (p.task != Task::kRegression && classes.size() != (p.task == Task::kBinary ? 2 : m.num_class))
    refuse(dir, "classes_ lists " + std::to_string(classes.size()) + " classes for a model of " +
                    std::to_string(m.num_class) + " classes");
  p.classes = std::move(classes);
  p.algorithm = "lightgbm";
  p.params["model_class"] = flavor["model_class"].as<std::string>("lightgbm.basic.Booster");
}

}  // namespace

ModelPackage read_mlflow_model(const fs::path& dir, const YAML::Node& root) {
  const YAML::Node flavors = root["flavors"];
  std::vector<std::string> names;
  if (flavors && flavors.IsMap())
    for (const auto& kv : flavors) names.push_back(kv.first.as<std::string>());
  ModelPackage p;
  if (flavors["xgboost"]) {
    read_xgboost(dir, root, p);
  } else if (flavors["lightgbm"]) {
    read_lightgbm(dir, root, p);
  } else if (flavors["sklearn"]) {
    refuse(dir, "a scikit-learn model (mlflow.sklearn, " +
                    flavors["sklearn"]["pickled_model"].as<std::string>("model.pkl") + "). " +
                    kOnnxAdvice);
  } else {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    refuse(dir, "no flavor Plinth serves (flavors: " + (list.empty() ? "none" : list) +
                    "); Plinth serves its own packages and MLflow's xgboost and lightgbm "
                    "flavors. " +
                    kOnnxAdvice);
  }
  p.created = root["utc_time_created"].as<std::string>("");
  p.model_uuid = root["model_uuid"].as<std::string>("");
  p.run_id = root["run_id"].as<std::string>("");
  std::string label = signature_label(root);
  p.outputs.label = label.empty() ? "prediction" : label;
  p.target = p.outputs.label;
  if (p.task != Task::kRegression) {
    p.outputs.probability = "probability";
    p.target_type = classes_type(p.classes);
  } else {
    p.target_type = ColumnType::kFloat64;
  }
  return p;
}

}  // namespace plinth::model
