// Runs Plinth's ONNX tree kernels on the tree nodes that onnx_tree_oracle.py recorded, and each
// whole model through OnnxModel, and compares the outputs with onnxruntime's: labels exactly,
// scores within 1e-5 relative (1e-6 absolute near zero).
//   onnx_tree_check DIR     (DIR/manifest.json from onnx_tree_oracle.py)
// Prints one line per failing node and a summary; exits 1 when any node differs.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "model/onnx/kernel.h"
#include "model/onnx/model.h"

using namespace plinth::model::onnx;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Tensor load(const std::string& dir, const nlohmann::json& j) {
  Tensor t;
  for (auto d : j.at("shape")) t.shape.push_back(d.get<int64_t>());
  if (j.contains("strings")) {
    t.type = ElementType::kString;
    t.s = j.at("strings").get<std::vector<std::string>>();
    return t;
  }
  std::string bytes = slurp(dir + "/" + j.at("file").get<std::string>());
  std::string dtype = j.at("dtype");
  auto copy = [&](auto& v) {
    v.resize(bytes.size() / sizeof(v[0]));
    std::memcpy(v.data(), bytes.data(), bytes.size());
  };
  if (dtype == "float32") {
    t.type = ElementType::kFloat;
    copy(t.f);
  } else if (dtype == "float64") {
    t.type = ElementType::kDouble;
    copy(t.d);
  } else if (dtype == "int64") {
    t.type = ElementType::kInt64;
    copy(t.i);
  } else {
    throw std::runtime_error("unknown dtype " + dtype);
  }
  return t;
}

// "" when equal, else what differs first.
std::string compare(const Tensor& got, const Tensor& want) {
  if (got.shape != want.shape) return "shape differs";
  if (want.type == ElementType::kString) {
    if (got.type != ElementType::kString) return "not strings";
    for (size_t i = 0; i < want.s.size(); ++i)
      if (got.s[i] != want.s[i])
        return "row " + std::to_string(i) + ": label " + got.s[i] + ", onnxruntime " + want.s[i];
    return "";
  }
  if (want.type == ElementType::kInt64) {
    for (size_t i = 0; i < want.i.size(); ++i)
      if (got.i.at(i) != want.i[i])
        return "row " + std::to_string(i) + ": label " + std::to_string(got.i[i]) +
               ", onnxruntime " + std::to_string(want.i[i]);
    return "";
  }
  size_t n = want.elements();
  for (size_t i = 0; i < n; ++i) {
    double w = want.type == ElementType::kDouble ? want.d[i] : want.f[i];
    double g = got.type == ElementType::kDouble ? got.d.at(i) : got.f.at(i);
    bool same = (std::isnan(w) && std::isnan(g)) || w == g ||
                std::fabs(g - w) <= 1e-5 * std::fabs(w) + 1e-6;
    if (!same) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "value %zu: %.9g, onnxruntime %.9g", i, g, w);
      return buf;
    }
  }
  return "";
}

// Where the labels differ but the scores of the two labels' columns are equal within the
// tolerance (an exact tie, summed in another order), takes onnxruntime's label. Returns how
// many rows it forgave.
size_t forgive_ties(const ::onnx::NodeProto& node, Tensor& got, const Tensor& want,
                    const Tensor& scores) {
  std::vector<int64_t> ints;
  std::vector<std::string> texts;
  for (const auto& a : node.attribute()) {
    if (a.name() == "classlabels_int64s") ints.assign(a.ints().begin(), a.ints().end());
    if (a.name() == "classlabels_strings") texts.assign(a.strings().begin(), a.strings().end());
  }
  size_t classes = static_cast<size_t>(scores.shape.at(1)), forgiven = 0;
  auto column = [&](const Tensor& t, size_t r) -> size_t {
    if (t.type == ElementType::kString)
      return std::find(texts.begin(), texts.end(), t.s[r]) - texts.begin();
    auto it = std::find(ints.begin(), ints.end(), t.i[r]);
    return it != ints.end() ? it - ints.begin() : static_cast<size_t>(t.i[r]);  // an index
  };
  for (size_t r = 0; r < want.elements(); ++r) {
    bool same = want.type == ElementType::kString ? got.s[r] == want.s[r] : got.i[r] == want.i[r];
    if (same) continue;
    size_t a = column(got, r), b = column(want, r);
    if (a >= classes || b >= classes) continue;
    float x = scores.f[r * classes + a], y = scores.f[r * classes + b];
    if (std::fabs(x - y) > 1e-5 * std::fabs(y) + 1e-6) continue;
    ++forgiven;
    if (want.type == ElementType::kString)
      got.s[r] = want.s[r];
    else
      got.i[r] = want.i[r];
  }
  return forgiven;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: onnx_tree_check DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  std::vector<OpSupport> ops;
  add_tree_ops(ops);
  size_t failed = 0, checked = 0, ties = 0, graphs = 0;
  for (const auto& entry : nlohmann::json::parse(slurp(dir + "/manifest.json"))) {
    std::string name = entry.at("name");
    try {
      ::onnx::ModelProto model;
      if (!model.ParseFromString(slurp(dir + "/" + entry.at("model").get<std::string>())))
        throw std::runtime_error("cannot parse the model");
      const ::onnx::NodeProto* node = nullptr;
      for (const auto& n : model.graph().node())
        if (n.name() == entry.at("node")) node = &n;
      if (!node) throw std::runtime_error("no such node");
      std::map<std::string, Tensor> constants;
      NodeContext ctx{*node, entry.at("opset").get<int64_t>(), constants};
      const OpSupport* op = nullptr;
      for (const auto& o : ops)
        if (o.op_type == node->op_type() && ctx.opset >= o.since && ctx.opset <= o.until) op = &o;
      if (!op) throw std::runtime_error("no kernel for " + node->op_type());
      auto kernel = op->make(ctx);
      Value input = load(dir, entry.at("input"));
      const Value* inputs[] = {&input};
      std::vector<Value> outputs(node->output_size());
      kernel->run(inputs, outputs);
      // Scores first: a label may differ only where the two labels' scores tie.
      for (size_t k = outputs.size(); k-- > 0;) {
        Tensor want = load(dir, entry.at("outputs").at(k));
        Tensor& got = std::get<Tensor>(outputs[k]);
        if (k == 0 && node->op_type() == "TreeEnsembleClassifier") {
          size_t n = forgive_ties(*node, got, want, std::get<Tensor>(outputs[1]));
          if (n) std::printf("%s: %zu labels decided by a tie\n", name.c_str(), n);
          ties += n;
        }
        std::string diff = compare(got, want);
        if (!diff.empty()) throw std::runtime_error("output " + std::to_string(k) + ": " + diff);
      }
      if (entry.contains("graph")) {
        // The whole model through the interpreter: its final outputs as onnxruntime's.
        OnnxModel whole = OnnxModel::load(dir + "/" + entry.at("model").get<std::string>());
        std::vector<Tensor> feeds;
        for (const auto& in : entry.at("graph").at("inputs")) feeds.push_back(load(dir, in));
        std::vector<Value> got = whole.run(std::move(feeds));
        const auto& want = entry.at("graph").at("outputs");
        for (size_t k = 0; k < want.size(); ++k) {
          Tensor w = load(dir, want[k]);
          Tensor& g = std::get<Tensor>(got.at(k));
          if (k == 0 && node->op_type() == "TreeEnsembleClassifier" && got.size() > 1)
            forgive_ties(*node, g, w, std::get<Tensor>(got[1]));
          std::string diff = compare(g, w);
          if (!diff.empty())
            throw std::runtime_error("graph output " + std::to_string(k) + ": " + diff);
        }
        ++graphs;
      }
      ++checked;
    } catch (const std::exception& e) {
      ++failed;
      std::printf("FAIL %s: %s\n", name.c_str(), e.what());
    }
  }
  std::printf(
      "%zu tree nodes agree with onnxruntime (%zu rows' labels decided by a tie; %zu whole "
      "models run by OnnxModel agree too), %zu differ\n",
      checked, ties, graphs, failed);
  return failed ? 1 : 0;
}
