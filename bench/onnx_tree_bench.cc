// Plinth's ONNX tree kernel alone, for bench/onnx_trees.py to set against onnxruntime and
// tl2cgen on the same model file and rows.
//   onnx_tree_bench MODEL.onnx ROWS.f32 FEATURES THREADS RUNS
// ROWS.f32 holds rows x FEATURES float32 values (row-major, NaN = missing). Runs the model's
// first tree node (its input must be the graph's float input): batch = all rows, split into
// chunks of 4096 over THREADS threads (as plinth score splits a file; the chunk tensors are
// built before timing, like onnxruntime's input array); single = one row per call, each row in
// turn, on one thread. Best of RUNS. Prints one JSON line: rows/s and microseconds per row.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/thread_pool.h"
#include "model/onnx/kernel.h"

using namespace plinth;
using namespace plinth::model::onnx;

static std::string slurp(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot read ") + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

static Tensor rows_tensor(const float* x, size_t rows, size_t features) {
  Tensor t;
  t.shape = {static_cast<int64_t>(rows), static_cast<int64_t>(features)};
  t.f.assign(x, x + rows * features);
  return t;
}

int main(int argc, char** argv) {
  const char* usage = "usage: onnx_tree_bench MODEL.onnx ROWS.f32 FEATURES THREADS RUNS\n";
  if (argc == 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"))) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (argc != 6) {
    std::fputs(usage, stderr);
    return 2;
  }
  try {
    ::onnx::ModelProto model;
    if (!model.ParseFromString(slurp(argv[1]))) throw std::runtime_error("cannot parse model");
    size_t features = std::stoul(argv[3]), threads = std::stoul(argv[4]);
    size_t runs = std::stoul(argv[5]);
    std::string bytes = slurp(argv[2]);
    size_t rows = bytes.size() / 4 / features;
    std::vector<float> x(rows * features);
    std::memcpy(x.data(), bytes.data(), x.size() * 4);
    int64_t ml_opset = 1;
    for (const auto& o : model.opset_import())
      if (o.domain() == "ai.onnx.ml") ml_opset = o.version();
    std::vector<OpSupport> ops;
    add_tree_ops(ops);
    const ::onnx::NodeProto* node = nullptr;
    for (const auto& n : model.graph().node())
      if (!node && n.op_type().rfind("TreeEnsemble", 0) == 0) node = &n;
    if (!node) throw std::runtime_error("no tree node");
    std::map<std::string, Tensor> constants;
    NodeContext ctx{*node, ml_opset, constants};
    std::unique_ptr<Kernel> kernel;
    for (const auto& o : ops)
      if (o.op_type == node->op_type() && ml_opset >= o.since && ml_opset <= o.until)
        kernel = o.make(ctx);
    auto seconds = [](auto f) {
      auto start = std::chrono::steady_clock::now();
      f();
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    const size_t chunk = 4096, tasks = (rows + chunk - 1) / chunk;
    std::vector<Value> inputs(tasks);
    for (size_t i = 0; i < tasks; ++i)
      inputs[i] =
          rows_tensor(x.data() + i * chunk * features, std::min(chunk, rows - i * chunk), features);
    core::ThreadPool pool(threads);
    double batch = 1e300, single = 1e300;
    size_t single_rows = std::min<size_t>(rows, 20000);
    std::vector<Value> one(single_rows);
    for (size_t r = 0; r < single_rows; ++r)
      one[r] = rows_tensor(x.data() + r * features, 1, features);
    for (size_t run = 0; run < runs; ++run) {
      batch = std::min(batch, seconds([&] {
                         pool.parallel_for(tasks, [&](size_t i) {
                           const Value* in[] = {&inputs[i]};
                           std::vector<Value> out(node->output_size());
                           kernel->run(in, out);
                         });
                       }));
      single = std::min(single, seconds([&] {
                          std::vector<Value> out(node->output_size());
                          for (size_t r = 0; r < single_rows; ++r) {
                            const Value* in[] = {&one[r]};
                            kernel->run(in, out);
                          }
                        }));
    }
    std::printf(
        "{\"rows\": %zu, \"threads\": %zu, \"batch_rows_per_s\": %.0f, "
        "\"single_row_us\": %.3f}\n",
        rows, threads, rows / batch, single / single_rows * 1e6);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "onnx_tree_bench: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
