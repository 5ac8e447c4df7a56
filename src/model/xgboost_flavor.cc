#include "model/xgboost_flavor.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <cstdio>

#include "core/error.h"

namespace plinth::model {
namespace {

void check(int rc, const char* what) {
  if (rc != 0)
    throw Error(ErrorCode::kInternal, std::string("XGBoost ") + what + ": " + XGBGetLastError());
}

// A DMatrix freed on scope exit.
struct Matrix {
  DMatrixHandle h = nullptr;
  explicit Matrix(const FeatureMatrix& x) {
    check(XGDMatrixCreateFromMat(x.values.data(), x.rows, x.cols, NAN, &h), "DMatrix");
  }
  ~Matrix() { XGDMatrixFree(h); }
};

const std::map<std::string, std::string> kSklearnNames = {
    {"learning_rate", "eta"}, {"reg_lambda", "lambda"}, {"reg_alpha", "alpha"}};

}  // namespace

std::map<std::string, std::string> effective_params(const XgbTrainOptions& o) {
  std::map<std::string, std::string> p;
  if (o.algorithm == "gbt") {
    p = {{"n_estimators", "100"}, {"max_depth", "6"}, {"learning_rate", "0.1"}};
  } else if (o.algorithm == "rf") {
    p = {{"n_estimators", "100"},
         {"max_depth", "8"},
         {"subsample", "0.8"},
         {"colsample_bynode", "0.8"}};
  } else if (o.algorithm == "linear") {
    p = {{"n_estimators", "100"}, {"learning_rate", "0.5"}, {"reg_lambda", "0"}};
  } else {
    throw Error(ErrorCode::kInvalidInput,
                "unknown algorithm '" + o.algorithm + "': use gbt, rf, linear or rules");
  }
  for (const auto& [k, v] : o.params) p[k] = v;
  return p;
}

std::string train_xgboost(const FeatureMatrix& x, const std::vector<float>& labels,
                          const XgbTrainOptions& o) {
  auto params = effective_params(o);
  int rounds = std::stoi(params["n_estimators"]);
  params.erase("n_estimators");
  Matrix dtrain(x);
  check(XGDMatrixSetFloatInfo(dtrain.h, "label", labels.data(), labels.size()), "labels");
  BoosterHandle booster = nullptr;
  check(XGBoosterCreate(&dtrain.h, 1, &booster), "booster");
  struct Free {
    BoosterHandle b;
    ~Free() { XGBoosterFree(b); }
  } free_booster{booster};
  auto set = [&](const std::string& k, const std::string& v) {
    auto alias = kSklearnNames.find(k);
    check(XGBoosterSetParam(
              booster, alias == kSklearnNames.end() ? k.c_str() : alias->second.c_str(), v.c_str()),
          ("parameter " + k).c_str());
  };
  set("nthread", std::to_string(o.nthread));
  set("seed", std::to_string(o.seed));
  set("verbosity", "0");
  switch (o.task) {
    case Task::kBinary:
      set("objective", "binary:logistic");
      break;
    case Task::kMulticlass:
      set("objective", "multi:softprob");
      set("num_class", std::to_string(o.num_class));
      break;
    case Task::kRegression:
      set("objective", "reg:squarederror");
      break;
  }
  if (o.algorithm == "rf") {
    set("num_parallel_tree", std::to_string(rounds));
    set("learning_rate", "1");
    rounds = 1;
  }
  if (o.algorithm == "linear") {
    set("booster", "gblinear");
    set("updater", "coord_descent");
  }
  for (const auto& [k, v] : params) set(k, v);
  for (int i = 0; i < rounds; ++i) check(XGBoosterUpdateOneIter(booster, i, dtrain.h), "training");
  bst_ulong len = 0;
  const char* buf = nullptr;
  check(XGBoosterSaveModelToBuffer(booster, R"({"format": "json"})", &len, &buf), "save");
  return std::string(buf, len);
}

std::string xgboost_version() {
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

XgbBooster::XgbBooster(const std::string& model_json, int nthread) {
  check(XGBoosterCreate(nullptr, 0, &handle_), "booster");
  check(XGBoosterLoadModelFromBuffer(handle_, model_json.data(), model_json.size()),
        "loading model.json");
  check(XGBoosterSetParam(handle_, "nthread", std::to_string(nthread).c_str()), "nthread");
}

XgbBooster::~XgbBooster() { XGBoosterFree(handle_); }

std::vector<float> XgbBooster::predict(const FeatureMatrix& x) const {
  if (x.rows == 0) return {};
  // Through a DMatrix rather than in-place prediction, which gblinear does not support.
  Matrix data(x);
  const char* config =
      R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  check(XGBoosterPredictFromDMatrix(handle_, data.h, config, &shape, &dim, &out), "prediction");
  size_t n = 1;
  for (bst_ulong i = 0; i < dim; ++i) n *= shape[i];
  return std::vector<float>(out, out + n);
}

}  // namespace plinth::model
