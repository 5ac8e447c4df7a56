// The compiled tree engine against XGBoost's predict on the same feature matrix.
//   model_engine_bench PACKAGE DATA THREADS RUNS [KERNEL]
// Reads DATA, builds the features once with the package's preprocessing, then times (best of
// RUNS) the compiled engine and XGBoosterPredictFromDMatrix on a DMatrix built beforehand
// (the DMatrix build is not timed: the most favourable setting for XGBoost; a fresh one each
// run, since XGBoost caches the predictions of a DMatrix it has seen), both on THREADS threads.
// KERNEL (avx512, avx2 or portable; default the best the CPU has) picks the engine's walk.
// Prints one JSON line with rows/s of each and the largest difference.
#include <xgboost/c_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "core/thread_pool.h"
#include "model/package.h"
#include "model/preprocess.h"
#include "model/tree_engine.h"
#include "table/table_io.h"

using namespace plinth;

static void check(int rc) {
  if (rc != 0) {
    std::fprintf(stderr, "xgboost: %s\n", XGBGetLastError());
    std::exit(1);
  }
}

static const char kUsage[] =
    "usage: model_engine_bench PACKAGE DATA THREADS RUNS [KERNEL]\n"
    "Times plinth's compiled tree engine against XGBoost's predict on DATA's features (built\n"
    "with PACKAGE's preprocessing), best of RUNS, on THREADS threads; prints one JSON line.\n"
    "KERNEL: avx512, avx2 or portable (default: the best this CPU has).\n";

// A positive count from the command line, or 0.
static size_t count_arg(const char* s) {
  char* end = nullptr;
  unsigned long v = std::strtoul(s, &end, 10);
  return *s != '-' && *s && !*end && v <= 1000000 ? v : 0;
}

static int run(int argc, char** argv) {
  if (argc == 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"))) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  bool counted = argc == 5 || argc == 6;
  size_t threads = counted ? count_arg(argv[3]) : 0, runs = counted ? count_arg(argv[4]) : 0;
  if (!threads || !runs) {
    std::fprintf(
        stderr, "model_engine_bench: %s\n%s",
        counted ? "THREADS and RUNS must be positive whole numbers" : "expected 4 or 5 arguments",
        kUsage);
    return 2;
  }
  using Kernel = model::CompiledModel::Kernel;
  Kernel kernel = model::CompiledModel::best_kernel();
  std::string kernel_name = argc == 6 ? argv[5] : "";
  if (kernel_name == "avx512")
    kernel = Kernel::kAvx512;
  else if (kernel_name == "avx2")
    kernel = Kernel::kAvx2;
  else if (kernel_name == "portable")
    kernel = Kernel::kPortable;
  else if (argc == 6) {
    std::fprintf(stderr, "model_engine_bench: unknown KERNEL '%s'\n%s", argv[5], kUsage);
    return 2;
  }
  model::ModelPackage p = model::read_package(argv[1]);
  table::Table t = table::read_table(argv[2]);
  model::FeatureMatrix x = model::transform(p.preprocessing, t, argv[2]);
  auto seconds = [](auto f) {
    auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  model::CompiledModel m = model::CompiledModel::compile(p.model_json);
  m.use_kernel(kernel);
  std::vector<double> ours(x.rows * m.num_outputs());
  core::ThreadPool pool(threads);
  const size_t chunk = 4096, tasks = (x.rows + chunk - 1) / chunk;
  double best_ours = 1e300;
  for (size_t r = 0; r < runs; ++r)
    best_ours = std::min(best_ours, seconds([&] {
                           pool.parallel_for(tasks, [&](size_t i) {
                             size_t begin = i * chunk, n = std::min(chunk, x.rows - begin);
                             m.predict(x.values.data() + begin * x.cols, n,
                                       ours.data() + begin * m.num_outputs());
                           });
                         }));

  BoosterHandle b;
  check(XGBoosterCreate(nullptr, 0, &b));
  check(XGBoosterLoadModelFromBuffer(b, p.model_json.data(), p.model_json.size()));
  check(XGBoosterSetParam(b, "nthread", std::to_string(threads).c_str()));
  const char* config =
      R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
  const bst_ulong* shape;
  bst_ulong dim;
  const float* out = nullptr;
  double best_xgb = 1e300;
  std::vector<DMatrixHandle> matrices(runs);
  for (size_t r = 0; r < runs; ++r) {
    check(XGDMatrixCreateFromMat(x.values.data(), x.rows, x.cols, NAN, &matrices[r]));
    best_xgb =
        std::min(best_xgb, seconds([&] {
                   check(XGBoosterPredictFromDMatrix(b, matrices[r], config, &shape, &dim, &out));
                 }));
  }
  double diff = 0;
  for (size_t i = 0; i < ours.size(); ++i) diff = std::max(diff, std::fabs(ours[i] - out[i]));
  std::printf(
      "{\"rows\": %zu, \"trees\": %zu, \"threads\": %zu, \"kernel\": \"%s\", "
      "\"compiled_rows_per_s\": %.0f, "
      "\"xgboost_rows_per_s\": %.0f, \"max_abs_diff\": %.3g}\n",
      x.rows, m.num_trees(), threads,
      kernel == Kernel::kAvx512 ? "avx512"
      : kernel == Kernel::kAvx2 ? "avx2"
                                : "portable",
      x.rows / best_ours, x.rows / best_xgb, diff);
  XGBoosterFree(b);
  for (auto m : matrices) XGDMatrixFree(m);
  return diff <= 1e-6 ? 0 : 1;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "model_engine_bench: error: %s\n", e.what());
    return 1;
  }
}
