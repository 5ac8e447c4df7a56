#include "model/onnx/export.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "model/onnx/internal/graph_builder.h"
#include "model/preprocess.h"

namespace plinth::model::onnx {
namespace {
namespace fs = std::filesystem;
using Kind = FeatureSpec::Kind;
using ::onnx::TensorProto;

constexpr const char* kMl = "ai.onnx.ml";
constexpr int64_t kIrVersion = 8;  // what opset 17 goes with; libonnx 1.12 reads up to 8
const float kNaN = std::numeric_limits<float>::quiet_NaN();

[[noreturn]] void refuse(const std::string& source, const std::string& what) {
  throw Error(ErrorCode::kInvalidInput, "cannot export " + source + " to ONNX: " + what);
}

bool categorical(const FeatureSpec& f) {
  return f.kind == Kind::kOneHot || f.kind == Kind::kOrdinal;
}

bool has_empty_category(const FeatureSpec& f) {
  return std::find(f.categories.begin(), f.categories.end(), "") != f.categories.end();
}

// The [N, k] float features of one input column, as `plinth score` computes them
// (preprocess.cc); empty when the column makes no features (a one-hot column without
// categories).
std::string features_of(Graph& g, const FeatureSpec& f) {
  const std::string& in = f.column;
  switch (f.kind) {
    case Kind::kNumeric: {
      // Plinth rounds the 64-bit number to float; a declared default replaces NaN.
      auto& cast = g.op("Cast", {in}, in + "_float");
      attr(cast, "to", int64_t{TensorProto::FLOAT});
      if (!f.missing) return cast.output(0);
      auto& imputer = g.op("Imputer", {cast.output(0)}, in + "_imputed", kMl);
      attr(imputer, "imputed_value_floats", std::vector<float>{static_cast<float>(*f.missing)});
      attr(imputer, "replaced_value_float", kNaN);
      g.declare(imputer.output(0), TensorProto::FLOAT, {kBatch, 1});
      return imputer.output(0);
    }
    case Kind::kStandardized: {
      // (x - mean) / scale in double, then float: Scaler's float (x - offset) * (1 / scale)
      // rounds differently and would send values on a split's threshold the other way.
      std::string x = in;
      if (f.missing) {
        // Where(x == x, x, default): NaN is the one value unequal to itself (Equal rather than
        // IsNaN, which Plinth's own ONNX interpreter does not run).
        auto& present = g.op("Equal", {x, x}, in + "_present");
        x = g.op("Where", {present.output(0), x, g.scalar(in + "_default", *f.missing)},
                 in + "_imputed")
                .output(0);
      }
      x = g.op("Sub", {x, g.scalar(in + "_mean", f.mean)}, in + "_centered").output(0);
      x = g.op("Div", {x, g.scalar(in + "_scale", f.scale)}, in + "_standardized").output(0);
      auto& cast = g.op("Cast", {x}, in + "_float");
      attr(cast, "to", int64_t{TensorProto::FLOAT});
      return cast.output(0);
    }
    case Kind::kOneHot: {
      if (f.categories.empty()) return "";
      int64_t k = static_cast<int64_t>(f.categories.size());
      auto& encoder = g.op("OneHotEncoder", {in}, in + "_one_hot", kMl);
      attr(encoder, "cats_strings", f.categories);
      attr(encoder, "zeros", int64_t{1});  // an unknown category: all zeros ("other")
      g.declare(encoder.output(0), TensorProto::FLOAT, {kBatch, 1, k});
      std::string x = g.op("Reshape", {encoder.output(0), g.ints(in + "_shape", {-1, k}, false)},
                           in + "_one_hot_2d")
                          .output(0);
      if (has_empty_category(f)) return x;
      // A missing category ("") makes every one-hot feature NaN, like a null in Plinth.
      auto& missing = g.op("LabelEncoder", {in}, in + "_missing", kMl);
      attr(missing, "keys_strings", std::vector<std::string>{""});
      attr(missing, "values_floats", std::vector<float>{kNaN});
      attr(missing, "default_float", 0.0f);
      return g.op("Add", {x, missing.output(0)}, in + "_features").output(0);
    }
    case Kind::kOrdinal: {
      // Code = index in the vocabulary, unknown = its size, missing ("") = NaN.
      std::vector<std::string> keys = f.categories;
      std::vector<float> codes;
      for (size_t i = 0; i < keys.size(); ++i) codes.push_back(static_cast<float>(i));
      if (!has_empty_category(f)) {
        keys.push_back("");
        codes.push_back(kNaN);
      }
      auto& encoder = g.op("LabelEncoder", {in}, in + "_code", kMl);
      attr(encoder, "keys_strings", keys);
      attr(encoder, "values_floats", codes);
      attr(encoder, "default_float", static_cast<float>(f.categories.size()));
      return encoder.output(0);
    }
    case Kind::kPassthrough:  // only ONNX packages have these, and export refuses them earlier
      throw Error(ErrorCode::kInternal, "column '" + in + "': a passthrough column has no export");
  }
  return "";
}

float json_float(const nlohmann::json& j) {
  return j.is_string() ? std::stof(j.get<std::string>()) : j.get<float>();
}

// What the XGBoost JSON model says, checked against the package.
struct Booster {
  std::string objective, kind;  // kind: gbtree or gblinear
  size_t num_feature = 0, groups = 1;
  float base_margin = 0;  // added to every group's sum, as the tree engine does
  nlohmann::json model;
  std::vector<uint32_t> tree_group;
};

Booster read_booster(const ModelPackage& p, const std::string& source) {
  const std::string where = source + "/model.json";
  Booster b;
  try {
    auto learner = nlohmann::json::parse(p.model_json).at("learner");
    const auto& param = learner.at("learner_model_param");
    b.num_feature = std::stoul(param.at("num_feature").get<std::string>());
    b.groups = std::max<size_t>(std::stoul(param.at("num_class").get<std::string>()), 1);
    float base_score = json_float(param.at("base_score"));
    b.objective = learner.at("objective").at("name");
    if (b.objective == "binary:logistic" && p.task == Task::kBinary) {
      b.base_margin = -std::log(1.0f / base_score - 1.0f);  // float, as the tree engine
    } else if ((b.objective == "multi:softprob" || b.objective == "multi:softmax") &&
               p.task == Task::kMulticlass) {
      b.base_margin = base_score;
    } else if (b.objective == "reg:squarederror" && p.task == Task::kRegression) {
      b.base_margin = base_score;
    } else {
      refuse(source, where + ": objective '" + b.objective + "' with task " + task_name(p.task) +
                         " has no ONNX form here (binary:logistic, multi:softprob, "
                         "multi:softmax and reg:squarederror do)");
    }
    const auto& booster = learner.at("gradient_booster");
    b.kind = booster.at("name");
    if (b.kind == "gblinear") {
      b.model = booster.at("model");
    } else if (b.kind == "gbtree") {
      b.model = booster.at("model");
      b.tree_group = b.model.at("tree_info").get<std::vector<uint32_t>>();
    } else {
      refuse(source, where + ": booster '" + b.kind + "' (gbtree and gblinear export)");
    }
  } catch (const nlohmann::json::exception& e) {
    refuse(source, where + ": " + e.what());
  } catch (const std::logic_error& e) {
    refuse(source, where + ": bad number: " + e.what());
  }
  size_t features = feature_names(p.preprocessing).size();
  if (b.num_feature != features)
    refuse(source, where + " expects " + std::to_string(b.num_feature) +
                       " features but the preprocessing in MLmodel makes " +
                       std::to_string(features));
  if (p.task == Task::kMulticlass && b.groups != p.classes.size())
    refuse(source, where + " has " + std::to_string(b.groups) + " classes but MLmodel lists " +
                       std::to_string(p.classes.size()));
  return b;
}

// gbtree as TreeEnsembleRegressor, nodes as onnxmltools writes XGBoost's: BRANCH_LT, missing
// tracks true = default_left, each leaf's value a weight of its tree's class, the base margin
// as base_values. Its output is the margin, [N, classes] (one column unless multiclass).
void trees(Graph& g, const Booster& b, const std::string& x, const std::string& out,
           const std::string& source) {
  std::vector<int64_t> tree_ids, node_ids, feature_ids, true_ids, false_ids, missing_true;
  std::vector<float> thresholds;
  std::vector<std::string> modes;
  std::vector<int64_t> leaf_tree, leaf_node, leaf_target;
  std::vector<float> leaf_weight;
  const std::string where = source + "/model.json";
  try {
    int64_t t = 0;
    for (const auto& tree : b.model.at("trees")) {
      auto left = tree.at("left_children").get<std::vector<int64_t>>();
      auto right = tree.at("right_children").get<std::vector<int64_t>>();
      auto cond = tree.at("split_conditions").get<std::vector<float>>();
      auto index = tree.at("split_indices").get<std::vector<int64_t>>();
      auto dleft = tree.at("default_left").get<std::vector<int>>();
      for (int s : tree.value("split_type", std::vector<int>{}))
        if (s != 0)
          refuse(source, where + ": tree " + std::to_string(t) +
                             " has a categorical split, which Plinth's trainer never makes");
      if (right.size() != left.size() || cond.size() != left.size() ||
          index.size() != left.size() || dleft.size() != left.size())
        refuse(source, where + ": tree " + std::to_string(t) + " has node lists of unequal length");
      for (size_t i = 0; i < left.size(); ++i) {
        bool leaf = left[i] == -1;
        tree_ids.push_back(t);
        node_ids.push_back(static_cast<int64_t>(i));
        feature_ids.push_back(leaf ? 0 : index[i]);
        modes.push_back(leaf ? "LEAF" : "BRANCH_LT");
        thresholds.push_back(leaf ? 0.0f : cond[i]);
        true_ids.push_back(leaf ? 0 : left[i]);
        false_ids.push_back(leaf ? 0 : right[i]);
        missing_true.push_back(!leaf && dleft[i] ? 1 : 0);
        if (!leaf) continue;
        leaf_tree.push_back(t);
        leaf_node.push_back(static_cast<int64_t>(i));
        leaf_target.push_back(b.tree_group.at(static_cast<size_t>(t)));
        leaf_weight.push_back(cond[i]);
      }
      ++t;
    }
  } catch (const nlohmann::json::exception& e) {
    refuse(source, where + ": " + e.what());
  } catch (const std::out_of_range&) {
    refuse(source, where + ": tree_info does not cover every tree");
  }
  auto& n = g.node("TreeEnsembleRegressor", {x}, {out}, kMl);
  attr(n, "nodes_treeids", tree_ids);
  attr(n, "nodes_nodeids", node_ids);
  attr(n, "nodes_featureids", feature_ids);
  attr(n, "nodes_modes", modes);
  attr(n, "nodes_values", thresholds);
  attr(n, "nodes_truenodeids", true_ids);
  attr(n, "nodes_falsenodeids", false_ids);
  attr(n, "nodes_missing_value_tracks_true", missing_true);
  attr(n, "target_treeids", leaf_tree);
  attr(n, "target_nodeids", leaf_node);
  attr(n, "target_ids", leaf_target);
  attr(n, "target_weights", leaf_weight);
  attr(n, "n_targets", static_cast<int64_t>(b.groups));
  attr(n, "base_values", std::vector<float>(b.groups, b.base_margin));
  attr(n, "aggregate_function", std::string("SUM"));
  attr(n, "post_transform", std::string("NONE"));
}

// gblinear as LinearRegressor, margin [N, classes]. XGBoost skips a missing feature (adds
// nothing), so NaN becomes 0 first.
void linear(Graph& g, const Booster& b, const std::string& x, const std::string& out,
            const std::string& source) {
  std::vector<float> weights;
  try {
    for (const auto& w : b.model.at("weights")) weights.push_back(json_float(w));
  } catch (const nlohmann::json::exception& e) {
    refuse(source, source + "/model.json: " + e.what());
  }
  size_t features = b.num_feature, groups = b.groups;
  if (weights.size() != (features + 1) * groups)
    refuse(source, source + "/model.json: gblinear weights do not match num_feature");
  std::vector<float> coefficients, intercepts;
  for (size_t c = 0; c < groups; ++c) {
    for (size_t f = 0; f < features; ++f) coefficients.push_back(weights[f * groups + c]);
    intercepts.push_back(weights[features * groups + c] + b.base_margin);  // float, as Plinth
  }
  auto& zeros = g.op("Imputer", {x}, "features_or_zero", kMl);
  attr(zeros, "imputed_value_floats", std::vector<float>{0.0f});
  attr(zeros, "replaced_value_float", kNaN);
  g.declare(zeros.output(0), TensorProto::FLOAT, {kBatch, static_cast<int64_t>(features)});
  auto& n = g.node("LinearRegressor", {zeros.output(0)}, {out}, kMl);
  attr(n, "coefficients", coefficients);
  attr(n, "intercepts", intercepts);
  attr(n, "targets", static_cast<int64_t>(groups));
}

// Probabilities [N, classes] from the margin, in double like Plinth (the tree and linear
// operators' own LOGISTIC/SOFTMAX run in float in onnxruntime, with a fast approximation that
// is off by about 1e-7 absolute: 3e-4 relative at a probability of 3e-4). Binary: [1 - p, p].
// Returns the double probabilities, which the label is chosen from as Plinth chooses it.
std::string probabilities(Graph& g, const ModelPackage& p, const std::string& margin) {
  auto& wide = g.op("Cast", {margin}, "margin_double");
  attr(wide, "to", int64_t{TensorProto::DOUBLE});
  std::string probs;
  if (p.task == Task::kBinary) {
    std::string positive = g.op("Sigmoid", {wide.output(0)}, "positive_double").output(0);
    std::string negative =
        g.op("Sub", {g.scalar("one", 1.0), positive}, "negative_double").output(0);
    auto& both = g.op("Concat", {negative, positive}, "probabilities_double");
    attr(both, "axis", int64_t{1});
    probs = both.output(0);
  } else {
    auto& softmax = g.op("Softmax", {wide.output(0)}, "probabilities_double");
    attr(softmax, "axis", int64_t{1});
    probs = softmax.output(0);
  }
  auto& narrow = g.node("Cast", {probs}, {p.outputs.probability});
  attr(narrow, "to", int64_t{TensorProto::FLOAT});
  return probs;
}

// The package's classes as a constant of the label's type; returns the ONNX element type.
int class_constant(Graph& g, const ModelPackage& p, const std::string& source, std::string* name) {
  int64_t n = static_cast<int64_t>(p.classes.size());
  auto bad = [&](const std::string& c) {
    refuse(source, source + "/MLmodel: class '" + c + "' is not a " +
                       std::string(table::type_name(p.target_type)) + " (field classes)");
  };
  switch (p.target_type) {
    case table::ColumnType::kInt64: {
      auto& t = g.constant("classes", TensorProto::INT64, {n});
      for (const auto& c : p.classes) {
        size_t used = 0;
        int64_t v = 0;
        try {
          v = std::stoll(c, &used);
        } catch (const std::logic_error&) {
        }
        if (used == 0 || used != c.size()) bad(c);
        t.add_int64_data(v);
      }
      *name = t.name();
      return TensorProto::INT64;
    }
    case table::ColumnType::kFloat64: {
      auto& t = g.constant("classes", TensorProto::DOUBLE, {n});
      for (const auto& c : p.classes) {
        size_t used = 0;
        double v = 0;
        try {
          v = std::stod(c, &used);
        } catch (const std::logic_error&) {
        }
        if (used == 0 || used != c.size()) bad(c);
        t.add_double_data(v);
      }
      *name = t.name();
      return TensorProto::DOUBLE;
    }
    case table::ColumnType::kBool: {
      auto& t = g.constant("classes", TensorProto::BOOL, {n});
      for (const auto& c : p.classes) {
        if (c != "true" && c != "false") bad(c);
        t.add_int32_data(c == "true");
      }
      *name = t.name();
      return TensorProto::BOOL;
    }
    case table::ColumnType::kString: {
      auto& t = g.constant("classes", TensorProto::STRING, {n});
      for (const auto& c : p.classes) t.add_string_data(c);
      *name = t.name();
      return TensorProto::STRING;
    }
    case table::ColumnType::kTimestamp:
      break;
  }
  refuse(source, source + "/MLmodel: a timestamp target has no ONNX label type");
}

// The label as `plinth score` picks it: binary, the second class when its probability is at or
// above the threshold; multiclass, the first class of highest probability.
void label(Graph& g, const ModelPackage& p, const std::string& probabilities,
           const std::string& source) {
  std::string index;
  if (p.task == Task::kBinary) {
    auto& positive =
        g.op("Gather", {probabilities, g.ints("second_class", {1}, true)}, "positive_probability");
    attr(positive, "axis", int64_t{1});
    auto& at_least =
        g.op("GreaterOrEqual", {positive.output(0), g.scalar("threshold", p.outputs.threshold)},
             "at_threshold");
    auto& cast = g.op("Cast", {at_least.output(0)}, "label_index");
    attr(cast, "to", int64_t{TensorProto::INT64});
    index = cast.output(0);
  } else {
    auto& argmax = g.op("ArgMax", {probabilities}, "label_index");
    attr(argmax, "axis", int64_t{1});
    attr(argmax, "keepdims", int64_t{0});
    index = argmax.output(0);
  }
  std::string classes;
  int type = class_constant(g, p, source, &classes);
  auto& gather = g.node("Gather", {classes, index}, {p.outputs.label});
  attr(gather, "axis", int64_t{0});
  g.output(p.outputs.label, type, {kBatch});
}

std::string metadata_json(const ModelPackage& p) {
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& f : p.preprocessing)
    inputs.push_back({{"name", f.column}, {"type", categorical(f) ? "string" : "double"}});
  return inputs.dump();
}

std::string constraints_json(const ModelPackage& p) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [column, c] : p.constraints) {
    nlohmann::json j = nlohmann::json::object();
    if (c.gt) j["gt"] = *c.gt;
    if (c.ge) j["ge"] = *c.ge;
    if (c.lt) j["lt"] = *c.lt;
    if (c.le) j["le"] = *c.le;
    if (!c.in.empty()) j["in"] = c.in;
    out[column] = j;
  }
  return out.dump();
}

ExportPort port(const ::onnx::ValueInfoProto& v) {
  const auto& t = v.type().tensor_type();
  ExportPort p{v.name(), TensorProto::DataType_Name(t.elem_type()), "["};
  std::transform(p.type.begin(), p.type.end(), p.type.begin(), ::tolower);
  for (int i = 0; i < t.shape().dim_size(); ++i)
    p.shape += (i ? ", " : "") + (t.shape().dim(i).has_dim_param()
                                      ? t.shape().dim(i).dim_param()
                                      : std::to_string(t.shape().dim(i).dim_value()));
  p.shape += "]";
  return p;
}

}  // namespace

::onnx::ModelProto to_onnx(const ModelPackage& p, const std::string& source) {
  if (p.flavor == "rules")
    refuse(source, "it is a rules package (flavor rules: '" + p.rule +
                       "'); only xgboost packages (algorithms gbt, rf, linear) export");
  if (p.flavor != "xgboost")
    refuse(source, "flavor '" + p.flavor + "' (field flavor in MLmodel); xgboost packages export");
  Booster booster = read_booster(p, source);

  ::onnx::ModelProto m;
  m.set_ir_version(kIrVersion);
  m.set_producer_name("plinth");
  m.set_producer_version("0.1.0");
  m.set_domain("ai.plinth");
  m.set_model_version(1);
  m.set_doc_string("Plinth package " + source + " (" + p.algorithm + ", " + task_name(p.task) +
                   ", target " + p.target + ") with its preprocessing");
  auto* onnx_opset = m.add_opset_import();
  onnx_opset->set_domain("");
  onnx_opset->set_version(kExportOnnxOpset);
  auto* ml_opset = m.add_opset_import();
  ml_opset->set_domain(kMl);
  ml_opset->set_version(kExportMlOpset);

  auto* graph = m.mutable_graph();
  graph->set_name(p.target.empty() ? "plinth" : "plinth_" + p.target);
  Graph g(graph);
  for (const auto& f : p.preprocessing) {
    if (f.column == p.outputs.label || f.column == p.outputs.probability)
      refuse(source, "input column '" + f.column +
                         "' has the name of an output (outputs in "
                         "MLmodel); ONNX needs distinct names");
    g.input(f.column, categorical(f) ? TensorProto::STRING : TensorProto::DOUBLE, {kBatch, 1});
  }
  if (p.outputs.label.empty() || (p.task != Task::kRegression && p.outputs.probability.empty()))
    refuse(source, source +
                       "/MLmodel: outputs needs a label and, for a classifier, a "
                       "probability name");
  g.fresh(p.outputs.label);
  if (p.task != Task::kRegression) g.fresh(p.outputs.probability);

  std::vector<std::string> blocks;
  for (const auto& f : p.preprocessing)
    if (std::string b = features_of(g, f); !b.empty()) blocks.push_back(b);
  if (blocks.empty()) refuse(source, "the preprocessing in MLmodel makes no features");
  auto& concat = g.op("Concat", blocks, "features");
  attr(concat, "axis", int64_t{1});

  bool classifier = p.task != Task::kRegression;
  std::string margin = classifier ? g.fresh("margin") : p.outputs.label;
  if (booster.kind == "gblinear")
    linear(g, booster, concat.output(0), margin, source);
  else
    trees(g, booster, concat.output(0), margin, source);
  if (classifier) {
    label(g, p, probabilities(g, p, margin), source);
    g.output(p.outputs.probability, TensorProto::FLOAT,
             {kBatch, static_cast<int64_t>(std::max<size_t>(booster.groups, 2))});
  } else {
    g.output(margin, TensorProto::FLOAT, {kBatch, 1});
  }

  auto meta = [&](const std::string& key, const std::string& value) {
    auto* prop = m.add_metadata_props();
    prop->set_key(key);
    prop->set_value(value);
  };
  meta("plinth.version", "0.1.0");
  meta("plinth.source", source);
  meta("plinth.run_id", p.run_id);
  meta("plinth.model_uuid", p.model_uuid);
  meta("plinth.task", task_name(p.task));
  meta("plinth.algorithm", p.algorithm);
  meta("plinth.target", p.target);
  meta("plinth.inputs", metadata_json(p));
  if (p.task != Task::kRegression) {
    meta("plinth.classes", nlohmann::json(p.classes).dump());
    meta("plinth.threshold", nlohmann::json(p.outputs.threshold).dump());
  }
  if (!p.constraints.empty()) meta("plinth.constraints", constraints_json(p));
  return m;
}

ExportSummary export_onnx(const ModelPackage& p, const std::string& source, const fs::path& out) {
  ::onnx::ModelProto m = to_onnx(p, source);
  try {
    ::onnx::checker::check_model(m);
    ::onnx::ModelProto inferred = m;
    ::onnx::shape_inference::InferShapes(inferred, ::onnx::OpSchemaRegistry::Instance(),
                                         ::onnx::ShapeInferenceOptions(true, 1));
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kInternal, "the ONNX graph made from " + source +
                                          " fails ONNX's checker (a bug in Plinth's exporter; "
                                          "please report it): " +
                                          e.what());
  }
  std::string bytes;
  if (!m.SerializeToString(&bytes))
    throw Error(ErrorCode::kInternal, "could not serialize the ONNX model of " + source);
  core::write_file_atomic(out, bytes);

  ExportSummary s;
  const auto& graph = m.graph();
  s.nodes = static_cast<size_t>(graph.node_size());
  s.initializers = static_cast<size_t>(graph.initializer_size());
  s.bytes = bytes.size();
  for (const auto& n : graph.node())
    if (std::find(s.operators.begin(), s.operators.end(), n.op_type()) == s.operators.end())
      s.operators.push_back(n.op_type());
  for (const auto& v : graph.input()) s.inputs.push_back(port(v));
  for (const auto& v : graph.output()) s.outputs.push_back(port(v));
  if (!p.constraints.empty()) {
    std::string columns;
    for (const auto& [column, c] : p.constraints) columns += (columns.empty() ? "" : ", ") + column;
    s.notes.push_back("the package's constraints (" + columns +
                      ") are not in the graph: ONNX cannot refuse a row; they are recorded in "
                      "the metadata as plinth.constraints for the caller to check");
  }
  return s;
}

}  // namespace plinth::model::onnx
