#include "model/xgboost_model.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace plinth::model {
namespace {
using nlohmann::json;

[[noreturn]] void refuse(const std::string& source, const std::string& what) {
  throw Error(ErrorCode::kInvalidInput, source + ": " + what);
}

// "5E-1", "[5E-1]" or "[1E-1,2E-1]" (XGBoost 3.x writes an array, one value per target/class).
std::vector<float> base_scores(const json& value, const std::string& source) {
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  try {
    if (!text.empty() && text[0] == '[') return json::parse(text).get<std::vector<float>>();
    return {std::stof(text)};
  } catch (const std::exception&) {
    refuse(source, "learner_model_param.base_score '" + text + "' is not a number or a list");
  }
}

std::string float_text(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);  // round-trips a float
  return buf;
}

}  // namespace

XgbModelFile read_xgboost_model(const std::string& bytes, bool ubj, const std::string& source) {
  XgbModelFile out;
  json model;
  try {
    model = ubj ? json::from_ubjson(bytes) : json::parse(bytes);
  } catch (const json::exception& e) {
    refuse(source, std::string("not an XGBoost ") + (ubj ? "UBJSON" : "JSON") + " model file (" +
                       e.what() + ")");
  }
  try {
    if (model.contains("version") && model["version"].is_array()) {
      auto v = model["version"];
      for (size_t i = 0; i < v.size(); ++i)
        out.version += (i ? "." : "") + std::to_string(v[i].get<int>());
    }
    json& learner = model.at("learner");
    json& param = learner.at("learner_model_param");
    out.objective = learner.at("objective").at("name").get<std::string>();
    out.num_class = std::stoul(param.at("num_class").get<std::string>());
    size_t targets =
        param.contains("num_target") ? std::stoul(param["num_target"].get<std::string>()) : 1;
    if (targets > 1)
      refuse(source, "a multi-target model (num_target " + std::to_string(targets) +
                         ") is not supported; train one model per target");
    for (const auto& t : learner.value("feature_types", json::array()))
      if (t == "c")
        refuse(source,
               "the model has categorical features (enable_categorical); Plinth cannot map "
               "their categories: encode them as numbers before training (e.g. one-hot), or "
               "log the model with mlflow.onnx");
    if (learner.contains("feature_names"))
      out.feature_names = learner["feature_names"].get<std::vector<std::string>>();

    // Objectives whose prediction is the margin itself score like reg:squarederror, which the
    // compiled engine and XGBoost 1.7 know (reg:quantileerror is XGBoost 2.0+).
    for (const char* identity :
         {"reg:absoluteerror", "reg:quantileerror", "reg:pseudohubererror", "reg:squaredlogerror"})
      if (out.objective == identity)
        learner["objective"] = {{"name", "reg:squarederror"},
                                {"reg_loss_param", {{"scale_pos_weight", "1"}}}};
    std::vector<float> base = base_scores(param.at("base_score"), source);
    bool same = true;
    for (float b : base) same = same && b == base[0];
    if (base.empty()) refuse(source, "learner_model_param.base_score is an empty list");
    json& booster = learner.at("gradient_booster");
    if (same) {
      param["base_score"] = float_text(base[0]);
    } else {
      // One intercept per class (XGBoost 3.x, multi:softprob). XGBoost starts each class's
      // margin at its intercept and adds the leaves in tree order, all in float; adding the
      // intercept to every leaf of the class's first tree gives the same float sums.
      if (base.size() != out.num_class || booster.value("name", "") != "gbtree")
        refuse(source, "base_score holds " + std::to_string(base.size()) +
                           " values for a model with num_class " + std::to_string(out.num_class));
      json& model_trees = booster.at("model");
      const json& info = model_trees.at("tree_info");
      std::vector<bool> done(base.size(), false);
      json& trees = model_trees.at("trees");
      for (size_t t = 0; t < trees.size(); ++t) {
        size_t g = info.at(t).get<size_t>();
        if (g >= base.size() || done[g]) continue;
        done[g] = true;
        json& tree = trees[t];
        const json& left = tree.at("left_children");
        json& cond = tree.at("split_conditions");
        for (size_t n = 0; n < left.size(); ++n)
          if (left[n].get<int>() == -1) cond[n] = base[g] + cond[n].get<float>();
      }
      for (size_t g = 0; g < done.size(); ++g)
        if (!done[g]) refuse(source, "class " + std::to_string(g) + " has no trees");
      param["base_score"] = "0";
    }
    if (booster.value("name", "") == "gbtree" || booster.value("name", "") == "dart") {
      const json& gb = booster.contains("gbtree") ? booster["gbtree"] : booster;
      for (const auto& tree : gb.at("model").at("trees")) {
        const json& tp = tree.at("tree_param");
        if (tp.contains("size_leaf_vector") && tp["size_leaf_vector"].get<std::string>() != "1" &&
            tp["size_leaf_vector"].get<std::string>() != "0")
          refuse(source,
                 "the model has vector leaves (multi_strategy=multi_output_tree), which "
                 "Plinth does not support");
      }
    }
  } catch (const json::exception& e) {
    refuse(source, std::string("not an XGBoost model: ") + e.what());
  } catch (const std::logic_error& e) {
    refuse(source, std::string("bad number in the model: ") + e.what());
  }
  out.json = model.dump();
  return out;
}

}  // namespace plinth::model
