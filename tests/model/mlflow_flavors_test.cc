// MLflow models logged by the real client (fixtures written by mlflow_models/generate.py with
// XGBoost 3.1 and LightGBM 4.7) served with no conversion: each scores the fixture rows like the
// library itself did.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "model/lightgbm_model.h"
#include "model/package.h"
#include "model/predictor.h"
#include "table/table_io.h"

namespace plinth::model {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kDir = PLINTH_MLFLOW_MODELS_DIR;

json predictions() { return json::parse(core::read_file(kDir / "predictions.json")); }

// Largest difference relative to max(1, |expected|) between Plinth's scores for rows.csv and the
// library's predictions, one value per row (binary, regression) or one row of classes.
double max_error(const std::string& name, Engine engine, std::string* used = nullptr) {
  ModelPackage p = read_package(kDir / name);
  Predictor predictor(p, engine, 1);
  if (used) *used = predictor.engine_name();
  table::Table rows = table::read_table(kDir / "rows.csv");
  Scores s = predictor.predict(rows, "rows.csv");
  json expected = predictions().at(name);
  EXPECT_EQ(expected.size(), s.rows) << name;
  double worst = 0;
  for (size_t r = 0; r < s.rows; ++r) {
    std::vector<double> want = expected[r].is_array()
                                   ? expected[r].get<std::vector<double>>()
                                   : std::vector<double>{expected[r].get<double>()};
    EXPECT_EQ(want.size(), s.width) << name;
    for (size_t k = 0; k < want.size() && k < s.width; ++k)
      worst = std::max(
          worst, std::abs(s.values[r * s.width + k] - want[k]) / std::max(1.0, std::abs(want[k])));
  }
  return worst;
}

TEST(MlflowXgboost, Xgboost2And3ModelsScoreLikeTheXgboostThatWroteThem) {
  for (std::string name :
       {"xgb3_binary_json", "xgb3_binary_ubj", "xgb3_multiclass_json", "xgb3_multiclass_ubj",
        "xgb3_regression_json", "xgb3_regression_ubj", "xgb2_binary_json", "xgb2_binary_ubj",
        "xgb2_multiclass_json", "xgb2_multiclass_ubj", "xgb2_regression_json",
        "xgb2_regression_ubj", "xgb2_quantile_json", "xgb3_quantile_json"}) {
    std::string engine;
    EXPECT_LE(max_error(name, Engine::kCompiled, &engine), 1e-6) << name;
    EXPECT_EQ(engine, "compiled") << name;
    // Debian's libxgboost 1.7 takes the same normalized model.
    EXPECT_LE(max_error(name, Engine::kXgboost, &engine), 1e-6) << name;
    EXPECT_EQ(engine, "xgboost") << name;
  }
}

TEST(MlflowXgboost, InputsAndClassesComeFromTheModelAndSignature) {
  ModelPackage p = read_package(kDir / "xgb3_multiclass_ubj");
  EXPECT_EQ(p.flavor, "xgboost");
  EXPECT_EQ(p.task, Task::kMulticlass);
  EXPECT_EQ(p.xgb_version, "3.1.3");
  ASSERT_EQ(p.input_columns(),
            (std::vector<std::string>{"amount", "hour_of_day", "day_of_week",
                                      "transaction_velocity", "distance_from_home"}));
  EXPECT_EQ(p.preprocessing[1].type, table::ColumnType::kInt64);  // "long" in the signature
  EXPECT_EQ(p.classes.size(), 8u);
  EXPECT_EQ(p.classes.front(), "0");  // XGBClassifier's classes are 0..K-1
  EXPECT_EQ(p.outputs.label, "prediction");
  EXPECT_EQ(p.target_type, table::ColumnType::kInt64);
}

TEST(MlflowLightgbm, ModelsScoreLikeLightgbm) {
  for (std::string name : {"lgb_binary_skops", "lgb_multiclass_skops", "lgb_regression_booster",
                           "lgb_rf_booster", "lgb_zero_missing_booster"}) {
    std::string engine;
    // LightGBM sums leaves in double, the engine in float: 1e-6 relative holds on these rows.
    EXPECT_LE(max_error(name, Engine::kCompiled, &engine), 1e-6) << name;
    EXPECT_EQ(engine, "compiled") << name;
  }
}

TEST(MlflowLightgbm, SklearnClassifierKeepsItsClassesAndCategories) {
  ModelPackage p = read_package(kDir / "lgb_binary_skops");
  EXPECT_EQ(p.flavor, "lightgbm");
  EXPECT_EQ(p.classes, (std::vector<std::string>{"fraud", "legit"}));
  EXPECT_EQ(p.target_type, table::ColumnType::kString);
  ASSERT_EQ(p.preprocessing.back().column, "merchant_category");
  EXPECT_EQ(p.preprocessing.back().kind, FeatureSpec::Kind::kOrdinal);
  EXPECT_EQ(p.preprocessing.back().categories.size(), 8u);
  Predictor predictor(p, Engine::kCompiled, 1);
  Scores s = predictor.predict(table::read_table(kDir / "rows.csv"), "rows.csv");
  auto labels = predictor.outputs(s)[0];
  for (size_t r = 0; r < s.rows; ++r)
    EXPECT_EQ(labels.str[r], s.values[r] >= 0.5 ? "legit" : "fraud");
}

// A temporary copy of a fixture, to break.
struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("mlflow-flavors-" + std::to_string(::getpid()));
  Scratch() { fs::remove_all(dir); }
  ~Scratch() { fs::remove_all(dir); }
  fs::path copy(const std::string& name) {
    fs::create_directories(dir);
    fs::copy(kDir / name, dir / name, fs::copy_options::recursive);
    return dir / name;
  }
};

std::string load_error(const fs::path& dir) {
  try {
    Predictor(read_package(dir), Engine::kCompiled, 1);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void write(const fs::path& file, const std::string& text) { std::ofstream(file) << text; }

TEST(MlflowFlavors, BadModelsAreRefusedNamingTheFileAndWhatToDo) {
  Scratch s;
  fs::path ubj = s.copy("xgb3_binary_ubj");
  std::string bytes = core::read_file(ubj / "model.ubj");
  write(ubj / "model.ubj", bytes.substr(0, bytes.size() / 2));
  EXPECT_NE(load_error(ubj).find("model.ubj: not an XGBoost UBJSON model file"), std::string::npos)
      << load_error(ubj);
  write(ubj / "model.ubj", "binf\x01\x02");
  EXPECT_NE(load_error(ubj).find("legacy binary format"), std::string::npos) << load_error(ubj);
  fs::remove(ubj / "model.ubj");
  EXPECT_NE(load_error(ubj).find("model.ubj is missing"), std::string::npos) << load_error(ubj);

  fs::path json_model = s.copy("xgb3_binary_json");
  std::string text = core::read_file(json_model / "model.json");
  auto types = text.find("\"feature_types\":[]");
  ASSERT_NE(types, std::string::npos);
  text.replace(types, 18, "\"feature_types\":[\"float\",\"c\",\"int\",\"int\",\"float\"]");
  write(json_model / "model.json", text);
  EXPECT_NE(load_error(json_model).find("categorical features (enable_categorical)"),
            std::string::npos)
      << load_error(json_model);

  fs::path skops = s.copy("lgb_binary_skops");
  bytes = core::read_file(skops / "model.skops");
  write(skops / "model.skops", bytes.substr(0, bytes.size() - 30));
  EXPECT_NE(load_error(skops).find("model.skops: not a zip archive"), std::string::npos)
      << load_error(skops);

  fs::path lgb = s.copy("lgb_regression_booster");
  text = core::read_file(lgb / "model.lgb");
  write(lgb / "model.lgb", text.substr(0, text.find("leaf_value=")));
  EXPECT_NE(load_error(lgb).find("model.lgb tree 0: field 'leaf_value' is missing"),
            std::string::npos)
      << load_error(lgb);

  std::string mlmodel = core::read_file(lgb / "MLmodel");
  write(lgb / "MLmodel", "flavors:\n  sklearn:\n    pickled_model: model.pkl\n");
  std::string e = load_error(lgb);
  EXPECT_NE(e.find("a scikit-learn model (mlflow.sklearn, model.pkl)"), std::string::npos) << e;
  EXPECT_NE(e.find("mlflow.onnx.log_model(skl2onnx.to_onnx(model, X[:1])"), std::string::npos) << e;
  write(lgb / "MLmodel",
        "flavors:\n  lightgbm:\n    data: model.pkl\n"
        "    serialization_format: cloudpickle\n");
  write(lgb / "model.pkl", "\x80\x04");
  e = load_error(lgb);
  EXPECT_NE(e.find("model.pkl is a pickle (serialization_format cloudpickle)"), std::string::npos)
      << e;
  write(lgb / "MLmodel", "flavors:\n  pytorch:\n    model_data: data\n");
  e = load_error(lgb);
  EXPECT_NE(e.find("no flavor Plinth serves (flavors: pytorch)"), std::string::npos) << e;
}

// LightGBM's missing types on one split "x <= 1.5", as Tree::NumericalDecision decides them.
double one_split(int decision_type, float x) {
  std::string text =
      "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n"
      "max_feature_idx=0\nobjective=regression\nfeature_names=x\nfeature_infos=[0:3]\n\n"
      "Tree=0\nnum_leaves=2\nnum_cat=0\nsplit_feature=0\nthreshold=-1.5\ndecision_type=" +
      std::to_string(decision_type) +
      "\nleft_child=-1\nright_child=-2\nleaf_value=10 20\nshrinkage=1\n\nend of trees\n";
  CompiledModel m = CompiledModel::compile(read_lightgbm_model(text, "t").spec);
  double out = 0;
  m.predict(&x, 1, &out);
  return out;
}

TEST(MlflowLightgbm, MissingTypesFollowLightgbm) {
  // threshold -1.5: 0 goes right (20). Left is 10.
  const int none = 0, zero = 1 << 2, nan = 2 << 2, left = 2;
  EXPECT_EQ(one_split(none, NAN), 20);         // NaN is 0.0
  EXPECT_EQ(one_split(none | left, NAN), 20);  // default direction ignored
  EXPECT_EQ(one_split(nan, NAN), 20);
  EXPECT_EQ(one_split(nan | left, NAN), 10);
  EXPECT_EQ(one_split(nan | left, 0), 20);
  EXPECT_EQ(one_split(zero | left, 0), 10);  // 0 goes the default way
  EXPECT_EQ(one_split(zero | left, NAN), 10);
  EXPECT_EQ(one_split(zero | left, 1), 20);
  EXPECT_EQ(one_split(zero | left, -2), 10);
  EXPECT_EQ(one_split(zero, 0), 20);
}

}  // namespace
}  // namespace plinth::model
