// `plinth export --format onnx` at the graph level: the interface a caller sees, the tree
// attributes onnxmltools' conventions ask for, libonnx's checker on the written file, and the
// refusals. onnxruntime's agreement with `plinth score` is tests/e2e/onnx_export_test.sh.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/file_io.h"
#include "model/onnx/export.h"

namespace plinth::model::onnx {
namespace {
namespace fs = std::filesystem;
using ::onnx::TensorProto;

// amount < 100 (missing: left) -> 0.5, else -0.5; features amount, category=a, category=b.
ModelPackage package(const std::string& num_feature = "3",
                     const std::string& objective = "binary:logistic") {
  ModelPackage p;
  p.flavor = "xgboost";
  p.task = Task::kBinary;
  p.algorithm = "gbt";
  p.target = "is_fraud";
  p.classes = {"0", "1"};
  p.outputs = {"is_fraud", "fraud_probability", 0.5};
  FeatureSpec amount, category;
  amount.column = "amount";
  amount.missing = 0;
  category.column = "category";
  category.kind = FeatureSpec::Kind::kOneHot;
  category.type = table::ColumnType::kString;
  category.categories = {"a", "b"};
  p.preprocessing = {amount, category};
  p.constraints["amount"].gt = 0;
  p.model_json = R"({"learner": {
    "learner_model_param": {"num_feature": ")" +
                 num_feature + R"(", "num_class": "0", "base_score": "5E-1"},
    "objective": {"name": ")" +
                 objective + R"("},
    "gradient_booster": {"name": "gbtree", "model": {"tree_info": [0], "trees": [{
      "left_children": [1, -1, -1], "right_children": [2, -1, -1],
      "split_conditions": [100.0, 0.5, -0.5], "split_indices": [0, 0, 0],
      "default_left": [1, 0, 0], "split_type": [0, 0, 0]}]}}}})";
  return p;
}

const ::onnx::AttributeProto& attribute(const ::onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return a;
  throw std::runtime_error("no attribute " + name);
}

std::string refusal(const ModelPackage& p) {
  try {
    to_onnx(p, "pkg");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidInput);
    return e.what();
  }
  return "no error";
}

TEST(OnnxExport, InterfaceTreesAndMetadata) {
  ::onnx::ModelProto m = to_onnx(package(), "pkg");
  std::map<std::string, int64_t> opsets;
  for (const auto& o : m.opset_import()) opsets[o.domain()] = o.version();
  EXPECT_EQ(opsets, (std::map<std::string, int64_t>{{"", 17}, {"ai.onnx.ml", 3}}));
  const auto& g = m.graph();
  ASSERT_EQ(g.input_size(), 2);
  EXPECT_EQ(g.input(0).name(), "amount");
  EXPECT_EQ(g.input(0).type().tensor_type().elem_type(), TensorProto::DOUBLE);
  EXPECT_EQ(g.input(1).name(), "category");
  EXPECT_EQ(g.input(1).type().tensor_type().elem_type(), TensorProto::STRING);
  ASSERT_EQ(g.output_size(), 2);
  EXPECT_EQ(g.output(0).name(), "is_fraud");
  EXPECT_EQ(g.output(0).type().tensor_type().elem_type(), TensorProto::INT64);
  EXPECT_EQ(g.output(1).name(), "fraud_probability");
  EXPECT_EQ(g.output(1).type().tensor_type().shape().dim(1).dim_value(), 2);
  auto tree = std::find_if(g.node().begin(), g.node().end(),
                           [](const auto& n) { return n.op_type() == "TreeEnsembleRegressor"; });
  ASSERT_NE(tree, g.node().end());
  const auto& modes = attribute(*tree, "nodes_modes").strings();
  EXPECT_EQ(std::vector<std::string>(modes.begin(), modes.end()),
            (std::vector<std::string>{"BRANCH_LT", "LEAF", "LEAF"}));
  const auto& missing = attribute(*tree, "nodes_missing_value_tracks_true").ints();
  EXPECT_EQ(std::vector<int64_t>(missing.begin(), missing.end()), (std::vector<int64_t>{1, 0, 0}));
  EXPECT_EQ(attribute(*tree, "base_values").floats(0), 0.0f);  // logit(0.5)
  EXPECT_EQ(attribute(*tree, "target_weights").floats(1), -0.5f);
  std::map<std::string, std::string> meta;
  for (const auto& p : m.metadata_props()) meta[p.key()] = p.value();
  EXPECT_EQ(meta["plinth.classes"], R"(["0","1"])");
  EXPECT_EQ(meta["plinth.constraints"], R"({"amount":{"gt":0.0}})");
  EXPECT_EQ(meta["plinth.inputs"],
            R"([{"name":"amount","type":"double"},{"name":"category","type":"string"}])");
}

TEST(OnnxExport, WritesACheckedFile) {
  fs::path dir = fs::temp_directory_path() / ("onnx_export_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ExportSummary s = export_onnx(package(), "pkg", dir / "m.onnx");
  std::string bytes = core::read_file(dir / "m.onnx");
  fs::remove_all(dir);
  EXPECT_EQ(s.bytes, bytes.size());
  ::onnx::ModelProto back;
  ASSERT_TRUE(back.ParseFromString(bytes));
  EXPECT_EQ(static_cast<size_t>(back.graph().node_size()), s.nodes);
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_NE(s.notes[0].find("constraints (amount) are not in the graph"), std::string::npos);
}

TEST(OnnxExport, RefusesWhatHasNoOnnxForm) {
  ModelPackage rules = package();
  rules.flavor = "rules";
  rules.rule = "amount > 5";
  EXPECT_EQ(refusal(rules),
            "cannot export pkg to ONNX: it is a rules package (flavor rules: 'amount > 5'); "
            "only xgboost packages (algorithms gbt, rf, linear) export");
  EXPECT_EQ(refusal(package("4")),
            "cannot export pkg to ONNX: pkg/model.json expects 4 features but the "
            "preprocessing in MLmodel makes 3");
  EXPECT_NE(refusal(package("3", "reg:squarederror"))
                .find("objective 'reg:squarederror' with task binary_classification"),
            std::string::npos);
  ModelPackage clash = package();
  clash.preprocessing[0].column = "fraud_probability";
  EXPECT_NE(refusal(clash).find("input column 'fraud_probability' has the name of an output"),
            std::string::npos);
}

}  // namespace
}  // namespace plinth::model::onnx
