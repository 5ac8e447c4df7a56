// The ONNX interpreter against onnxruntime: onnx_cases.py writes small graphs per operator
// family with onnxruntime's outputs (PLINTH_ONNX_CASES names the folder; with_onnx_cases.sh
// makes it), and each must come out of OnnxModel equal within 1e-5 relative. Then the models
// Plinth must refuse at load, and requests it must refuse at run.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "model/onnx/model.h"

namespace plinth::model::onnx {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path cases_dir() {
  const char* dir = std::getenv("PLINTH_ONNX_CASES");
  if (!dir) throw std::runtime_error("PLINTH_ONNX_CASES is not set: run via with_onnx_cases.sh");
  return dir;
}

json read_json(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

double number(const json& v) {
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (s == "nan") return NAN;
    return s == "inf" ? INFINITY : -INFINITY;
  }
  return v.get<double>();
}

ElementType type_of(const std::string& name) {
  static const std::map<std::string, ElementType> types = {
      {"float", ElementType::kFloat}, {"double", ElementType::kDouble},
      {"int64", ElementType::kInt64}, {"int32", ElementType::kInt32},
      {"bool", ElementType::kBool},   {"string", ElementType::kString}};
  return types.at(name);
}

Tensor tensor(const json& j) {
  Tensor t;
  t.type = type_of(j["type"]);
  t.shape = j["shape"].get<std::vector<int64_t>>();
  for (const auto& v : j["values"]) {
    switch (t.type) {
      case ElementType::kFloat:
        t.f.push_back(static_cast<float>(number(v)));
        break;
      case ElementType::kDouble:
        t.d.push_back(number(v));
        break;
      case ElementType::kString:
        t.s.push_back(v.get<std::string>());
        break;
      default:
        t.i.push_back(v.get<int64_t>());
    }
  }
  return t;
}

bool close(double got, double want) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::fabs(got - want) <= 1e-5 * std::max(std::fabs(want), 1e-1);
}

// Differences between our value and onnxruntime's, as text; empty when they agree.
std::string compare(const Value& got, const json& want) {
  if (want.contains("maps")) {
    const auto* maps = std::get_if<MapSequence>(&got);
    if (!maps) return "expected a sequence of maps";
    const auto& rows = want["rows"];
    if (maps->rows != rows.size()) return "row count differs";
    size_t labels = maps->int_keys ? maps->int_labels.size() : maps->text_labels.size();
    for (size_t c = 0; c < want["keys"].size(); ++c) {
      std::string key = maps->int_keys ? std::to_string(maps->int_labels[c]) : maps->text_labels[c];
      if (want["keys"][c].dump() != (maps->int_keys ? key : json(key).dump()))
        return "key " + std::to_string(c) + " is " + key;
    }
    for (size_t r = 0; r < rows.size(); ++r)
      for (size_t c = 0; c < labels; ++c)
        if (!close(maps->values[r * labels + c], rows[r][c].get<double>()))
          return "row " + std::to_string(r) + " label " + std::to_string(c) + ": " +
                 std::to_string(maps->values[r * labels + c]) + " vs " + rows[r][c].dump();
    return "";
  }
  const auto* t = std::get_if<Tensor>(&got);
  if (!t) return "expected a tensor";
  Tensor w = tensor(want);
  if (t->type != w.type)
    return "type " + element_type_name(t->type) + " vs " + element_type_name(w.type);
  if (t->shape != w.shape) return "shapes differ";
  for (size_t k = 0; k < w.elements(); ++k) {
    bool same = false;
    std::string a, b;
    switch (w.type) {
      case ElementType::kFloat:
        same = close(t->f[k], w.f[k]);
        a = std::to_string(t->f[k]), b = std::to_string(w.f[k]);
        break;
      case ElementType::kDouble:
        same = close(t->d[k], w.d[k]);
        a = std::to_string(t->d[k]), b = std::to_string(w.d[k]);
        break;
      case ElementType::kString:
        same = t->s[k] == w.s[k];
        a = t->s[k], b = w.s[k];
        break;
      default:
        same = t->i[k] == w.i[k];
        a = std::to_string(t->i[k]), b = std::to_string(w.i[k]);
    }
    if (!same) return "element " + std::to_string(k) + ": " + a + " vs onnxruntime's " + b;
  }
  return "";
}

// Runs one case; returns the first difference from onnxruntime ("" when equal).
std::string run_case(const fs::path& json_path) {
  json spec = read_json(json_path);
  fs::path model_path = json_path;
  model_path.replace_extension(".onnx");
  OnnxModel model = OnnxModel::load(model_path);
  std::vector<Tensor> inputs;
  for (const auto& in : spec["inputs"]) inputs.push_back(tensor(in));
  std::vector<Value> outputs = model.run(inputs);
  if (outputs.size() != spec["outputs"].size()) return "output count differs";
  for (size_t k = 0; k < outputs.size(); ++k) {
    std::string diff = compare(outputs[k], spec["outputs"][k]);
    if (!diff.empty()) return spec["outputs"][k]["name"].get<std::string>() + ": " + diff;
  }
  return "";
}

TEST(OnnxOracle, EveryCaseMatchesOnnxruntime) {
  size_t cases = 0;
  for (const auto& entry : fs::directory_iterator(cases_dir())) {
    if (entry.path().extension() != ".json" || entry.path().stem() == "broken_oracle") continue;
    ++cases;
    std::string diff;
    try {
      diff = run_case(entry.path());
    } catch (const std::exception& e) {
      diff = std::string("threw: ") + e.what();
    }
    EXPECT_EQ(diff, "") << entry.path().stem();
  }
  EXPECT_GT(cases, 90u);
}

// The comparison can fail: this case's oracle was altered on purpose.
TEST(OnnxOracle, AlteredOracleIsCaught) {
  EXPECT_NE(run_case(cases_dir() / "broken_oracle.json"), "");
}

TEST(OnnxLoad, RefusesBadModelsNamingTheProblem) {
  size_t cases = 0;
  for (const auto& entry : fs::directory_iterator(cases_dir() / "bad")) {
    if (entry.path().extension() != ".onnx") continue;
    ++cases;
    fs::path expect_path = entry.path();
    json expect = read_json(expect_path.replace_extension(".json"))["expect"];
    try {
      OnnxModel::load(entry.path());
      ADD_FAILURE() << entry.path().stem() << " loaded";
    } catch (const Error& e) {
      std::string message = e.what();
      EXPECT_EQ(e.code(), ErrorCode::kInvalidInput) << message;
      EXPECT_NE(message.find(entry.path().string()), std::string::npos) << message;
      for (const auto& word : expect)
        EXPECT_NE(message.find(word.get<std::string>()), std::string::npos)
            << entry.path().stem() << ": '" << word << "' not in: " << message;
    }
  }
  EXPECT_GE(cases, 11u);
}

TEST(OnnxLoad, MissingFileIsNotFound) {
  try {
    OnnxModel::load(cases_dir() / "no_such_model.onnx");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
}

TEST(OnnxLoad, DeclaresInputsOutputsAndMetadata) {
  OnnxModel model = OnnxModel::load(cases_dir() / "pipeline_columns.onnx");
  ASSERT_EQ(model.inputs().size(), 3u);  // the Reshape shape initializer is not an input
  EXPECT_EQ(model.inputs()[0].name, "age");
  EXPECT_EQ(model.inputs()[0].type, ElementType::kFloat);
  EXPECT_EQ(model.inputs()[0].shape, (std::vector<int64_t>{-1, 1}));
  EXPECT_EQ(model.inputs()[1].type, ElementType::kInt64);
  EXPECT_EQ(model.inputs()[2].type, ElementType::kString);
  ASSERT_EQ(model.outputs().size(), 2u);
  EXPECT_FALSE(model.outputs()[0].map_sequence);
  EXPECT_TRUE(model.outputs()[1].map_sequence);
  EXPECT_EQ(model.metadata().at("opsets"), "ai.onnx 17, ai.onnx.ml 3");
}

std::vector<Tensor> pipeline_inputs() {
  json spec = read_json(cases_dir() / "pipeline_columns.json");
  std::vector<Tensor> inputs;
  for (const auto& in : spec["inputs"]) inputs.push_back(tensor(in));
  return inputs;
}

void expect_refused(const OnnxModel& model, std::vector<Tensor> inputs,
                    const std::vector<std::string>& words) {
  try {
    model.run(std::move(inputs));
    ADD_FAILURE() << "ran";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidInput);
    for (const auto& w : words)
      EXPECT_NE(std::string(e.what()).find(w), std::string::npos) << e.what();
  }
}

TEST(OnnxRun, RefusesInputsOfTheWrongTypeOrShape) {
  OnnxModel model = OnnxModel::load(cases_dir() / "pipeline_columns.onnx");
  auto inputs = pipeline_inputs();
  inputs[0].type = ElementType::kDouble;  // age as double
  inputs[0].d.assign(inputs[0].f.begin(), inputs[0].f.end());
  inputs[0].f.clear();
  expect_refused(model, inputs, {"'age'", "float [N, 1]", "double [4, 1]"});
  inputs = pipeline_inputs();
  inputs[2].shape = {4};  // city without its column axis
  expect_refused(model, inputs, {"'city'", "string [N, 1]", "string [4]"});
  inputs = pipeline_inputs();
  inputs[1].shape = {4, 2};  // more values claimed than held
  expect_refused(model, inputs, {"'count'"});
  expect_refused(model, {}, {"3 inputs"});
}

TEST(OnnxRun, ConcurrentRunsAgree) {
  OnnxModel model = OnnxModel::load(cases_dir() / "net_mlp_matmul_18.onnx");
  json spec = read_json(cases_dir() / "net_mlp_matmul_18.json");
  Tensor x = tensor(spec["inputs"][0]);
  std::vector<std::string> diffs(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < diffs.size(); ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 50 && diffs[t].empty(); ++k)
        diffs[t] = compare(model.run({x})[0], spec["outputs"][0]);
    });
  for (auto& t : threads) t.join();
  for (const auto& d : diffs) EXPECT_EQ(d, "");
}

}  // namespace
}  // namespace plinth::model::onnx
