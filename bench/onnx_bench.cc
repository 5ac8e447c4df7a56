// Plinth's ONNX engine on a model file, in process, for bench/onnx.sh (onnxruntime's side is
// timed the same way in Python).
//   onnx_bench MODEL ROWS THREADS RUNS SINGLE OUT
// ROWS is a raw little-endian float32 matrix with as many columns as MODEL's one tensor input.
// Times (best of RUNS) scoring every row on THREADS threads, 8,192 rows per OnnxModel::run call
// (about what onnxruntime gets in one call per thread), then SINGLE one-row calls (the
// median), and writes the probabilities (a ZipMap's values or the last float output) of the
// batch run to OUT as float32, rows x columns. Prints one JSON line.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "core/thread_pool.h"
#include "model/onnx/model.h"

using namespace plinth;
using model::onnx::MapSequence;
using model::onnx::Tensor;
using model::onnx::Value;

static const char kUsage[] =
    "usage: onnx_bench MODEL ROWS THREADS RUNS SINGLE OUT\n"
    "Times plinth's ONNX engine on MODEL over ROWS (raw float32, one tensor input): best of RUNS\n"
    "batch runs on THREADS threads, then the median of SINGLE one-row runs; writes the batch's\n"
    "probabilities to OUT (float32) and prints one JSON line.\n";

static size_t count_arg(const char* s) {
  char* end = nullptr;
  unsigned long v = std::strtoul(s, &end, 10);
  return *s != '-' && *s && !*end && v <= 100000000 ? v : 0;
}

// The probabilities of a result: a ZipMap's values, else the last float tensor's.
static const float* probabilities(const std::vector<Value>& out, size_t* columns) {
  for (const Value& v : out)
    if (const auto* m = std::get_if<MapSequence>(&v)) {
      *columns = m->rows ? m->values.size() / m->rows : 0;
      return m->values.data();
    }
  for (auto it = out.rbegin(); it != out.rend(); ++it)
    if (const auto* t = std::get_if<Tensor>(&*it); t && !t->f.empty()) {
      *columns = t->shape.size() > 1 ? static_cast<size_t>(t->shape.back()) : 1;
      return t->f.data();
    }
  std::fputs("onnx_bench: the model has no float output\n", stderr);
  std::exit(1);
}

static int run(int argc, char** argv) {
  if (argc == 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"))) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  size_t threads = argc == 7 ? count_arg(argv[3]) : 0, runs = argc == 7 ? count_arg(argv[4]) : 0,
         singles = argc == 7 ? count_arg(argv[5]) : 0;
  if (!threads || !runs || !singles) {
    std::fprintf(stderr, "onnx_bench: %s\n%s",
                 argc == 7 ? "THREADS, RUNS and SINGLE must be positive whole numbers"
                           : "expected 6 arguments",
                 kUsage);
    return 2;
  }
  auto model = model::onnx::OnnxModel::load(argv[1]);
  if (model.inputs().size() != 1 || model.inputs()[0].shape.size() != 2) {
    std::fputs("onnx_bench: the model must have one 2-D tensor input\n", stderr);
    return 2;
  }
  const size_t cols = static_cast<size_t>(model.inputs()[0].shape[1]);
  std::ifstream in(argv[2], std::ios::binary | std::ios::ate);
  const size_t bytes = static_cast<size_t>(in.tellg());
  const size_t rows = bytes / (sizeof(float) * cols);
  std::vector<float> x(rows * cols);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(x.data()), static_cast<std::streamsize>(rows * cols * 4));

  auto slice = [&](size_t begin, size_t n) {
    Tensor t;
    t.type = model::onnx::ElementType::kFloat;
    t.shape = {static_cast<int64_t>(n), static_cast<int64_t>(cols)};
    t.f.assign(x.begin() + static_cast<ptrdiff_t>(begin * cols),
               x.begin() + static_cast<ptrdiff_t>((begin + n) * cols));
    return t;
  };
  auto seconds = [](auto f) {
    auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  const size_t chunk = 8192, tasks = (rows + chunk - 1) / chunk;
  std::vector<float> result;
  size_t out_cols = 0;
  core::ThreadPool pool(threads);
  double best = 1e300;
  for (size_t r = 0; r < runs; ++r) {
    std::vector<std::vector<float>> parts(tasks);
    best = std::min(best, seconds([&] {
                      pool.parallel_for(tasks, [&](size_t i) {
                        size_t begin = i * chunk, n = std::min(chunk, rows - begin), c = 0;
                        std::vector<Value> out = model.run({slice(begin, n)});
                        const float* p = probabilities(out, &c);
                        parts[i].assign(p, p + n * c);
                      });
                    }));
    result.clear();
    for (auto& p : parts) result.insert(result.end(), p.begin(), p.end());
    out_cols = rows ? result.size() / rows : 0;
  }
  std::ofstream out(argv[6], std::ios::binary);
  out.write(reinterpret_cast<const char*>(result.data()),
            static_cast<std::streamsize>(result.size() * sizeof(float)));

  std::vector<double> single(singles);
  for (size_t i = 0; i < singles; ++i) {
    Tensor one = slice(i % rows, 1);
    single[i] = seconds([&] { (void)model.run({std::move(one)}); });
  }
  std::nth_element(single.begin(), single.begin() + static_cast<ptrdiff_t>(singles / 2),
                   single.end());
  std::printf(
      "{\"rows\": %zu, \"threads\": %zu, \"batch_seconds\": %.6f, \"rows_per_second\": %.0f, "
      "\"single_row_us\": %.3f, \"columns\": %zu}\n",
      rows, threads, best, rows / best, single[singles / 2] * 1e6, out_cols);
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "onnx_bench: %s\n", e.what());
    return 1;
  }
}
