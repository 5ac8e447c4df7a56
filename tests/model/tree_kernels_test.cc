// The tree engine's kernels (AVX-512 over perfect trees, AVX2, portable) on the same random
// ensembles and rows: bit-identical margins, each equal to a plain walk of the spec summing the
// leaves in float in tree order (XGBoost's arithmetic). Rows hit thresholds exactly, one float
// either side, infinities and missing values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "model/tree_engine.h"

namespace plinth::model {
namespace {

using Spec = TreeEnsembleSpec;
using Kernel = CompiledModel::Kernel;

// Values on a grid of quarters: thresholds and inputs meet exactly.
float grid(std::mt19937& rng) { return static_cast<float>(static_cast<int>(rng() % 17) - 8) / 4; }

// A random tree of depth <= max_depth (leaves appear at every level) adding to `output`.
void grow(Spec::Tree& tree, uint32_t i, uint32_t depth, uint32_t max_depth, uint32_t num_features,
          uint32_t output, std::mt19937& rng) {
  if (depth == max_depth || (depth > 0 && rng() % 4 == 0)) {
    tree.nodes[i].leaf = true;
    tree.nodes[i].adds = {{output, static_cast<double>(grid(rng)) / 8 + 0.001 * (rng() % 100)}};
    return;
  }
  Spec::Node& n = tree.nodes[i];
  const Spec::Split splits[] = {Spec::Split::kLess, Spec::Split::kLessEqual, Spec::Split::kGreater,
                                Spec::Split::kGreaterEqual};
  n.split = splits[rng() % 4];
  n.feature = rng() % num_features;
  n.threshold = rng() % 16 == 0 ? -INFINITY : grid(rng);
  n.missing_yes = rng() % 2;
  n.yes = static_cast<uint32_t>(tree.nodes.size());
  n.no = n.yes + 1;
  tree.nodes.resize(tree.nodes.size() + 2);
  uint32_t yes = tree.nodes[i].yes, no = tree.nodes[i].no;
  grow(tree, yes, depth + 1, max_depth, num_features, output, rng);
  grow(tree, no, depth + 1, max_depth, num_features, output, rng);
}

Spec random_spec(uint32_t trees, uint32_t max_depth, uint32_t num_features, uint32_t outputs,
                 std::mt19937& rng) {
  Spec spec;
  spec.num_features = num_features;
  spec.num_outputs = outputs;
  for (uint32_t t = 0; t < trees; ++t) {
    spec.trees.emplace_back();
    spec.trees.back().nodes.resize(1);
    grow(spec.trees.back(), 0, 0, t % 7 == 0 ? 0 : max_depth, num_features, t % outputs, rng);
  }
  return spec;
}

// The spec walked node by node; leaves summed in float, tree by tree.
std::vector<float> reference(const Spec& spec, const std::vector<float>& x, size_t rows) {
  std::vector<float> out(rows * spec.num_outputs, 0.0f);
  for (size_t r = 0; r < rows; ++r)
    for (const auto& tree : spec.trees) {
      const Spec::Node* n = &tree.nodes[0];
      while (!n->leaf) {
        float v = x[r * spec.num_features + n->feature];
        float t = static_cast<float>(n->threshold);
        bool yes = std::isnan(v)                         ? n->missing_yes
                   : n->split == Spec::Split::kLess      ? v < t
                   : n->split == Spec::Split::kLessEqual ? v <= t
                   : n->split == Spec::Split::kGreater   ? v > t
                                                         : v >= t;
        n = &tree.nodes[yes ? n->yes : n->no];
      }
      out[r * spec.num_outputs + n->adds[0].first] += static_cast<float>(n->adds[0].second);
    }
  return out;
}

std::vector<float> random_rows(size_t rows, uint32_t num_features, bool missing,
                               std::mt19937& rng) {
  std::vector<float> x(rows * num_features);
  for (float& v : x) {
    uint32_t kind = rng() % 20;
    v = grid(rng);
    if (kind < 3 && missing) v = NAN;
    if (kind == 3) v = std::nextafter(v, INFINITY);
    if (kind == 4) v = std::nextafter(v, -INFINITY);
    if (kind == 5) v = rng() % 2 ? INFINITY : -INFINITY;
  }
  return x;
}

std::vector<Kernel> kernels() {
  std::vector<Kernel> k{Kernel::kPortable};
  if (CompiledModel::best_kernel() != Kernel::kPortable) k.push_back(Kernel::kAvx2);
  if (CompiledModel::best_kernel() == Kernel::kAvx512) k.push_back(Kernel::kAvx512);
  return k;
}

TEST(TreeKernels, EveryKernelGivesTheSameMarginsAsTheSpec) {
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) {
    ASSERT_EQ(CompiledModel::best_kernel(), Kernel::kAvx512) << "the AVX-512 walk must run here";
  }
  std::mt19937 rng(7);
  struct Case {
    uint32_t trees, max_depth, num_features, outputs;
  };
  // Depth 6 and 8 with few features (the AVX-512 walk picks values with masked loads), many
  // features (it gathers them), several outputs, and depth 10 (too deep for the perfect
  // layout: every kernel walks the flat nodes).
  for (Case c : {Case{40, 6, 5, 1}, Case{30, 8, 3, 1}, Case{30, 5, 12, 1}, Case{30, 4, 6, 3},
                 Case{20, 10, 4, 1}}) {
    Spec spec = random_spec(c.trees, c.max_depth, c.num_features, c.outputs, rng);
    CompiledModel m = CompiledModel::compile(spec);
    // Blocks without missing values take a shorter walk: both kinds.
    for (size_t rows : {1, 5, 16, 37, 256, 700, 70, 300}) {
      std::vector<float> x = random_rows(rows, c.num_features, rows % 10 != 0, rng);
      std::vector<float> expected = reference(spec, x, rows);
      for (Kernel k : kernels()) {
        m.use_kernel(k);
        std::vector<float> got(rows * c.outputs);
        m.predict_margins(x.data(), rows, c.num_features, got.data());
        for (size_t i = 0; i < got.size(); ++i)
          ASSERT_EQ(std::memcmp(&got[i], &expected[i], sizeof(float)), 0)
              << "kernel " << static_cast<int>(k) << ", depth " << c.max_depth << ", "
              << c.num_features << " features, " << rows << " rows: row " << i / c.outputs
              << " output " << i % c.outputs << ": " << got[i] << " != " << expected[i];
      }
    }
  }
}

}  // namespace
}  // namespace plinth::model
