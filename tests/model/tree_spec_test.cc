// CompiledModel::compile(TreeEnsembleSpec): every split kind lowered exactly in float32, against
// a plain walk of the spec in double (the spec's meaning), on inputs at and next to each
// threshold, with missing values; multi-output leaves, the aggregates and the base.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.h"
#include "model/tree_engine.h"

namespace plinth::model {
namespace {

using Spec = TreeEnsembleSpec;

// The spec's meaning, node by node, in double.
std::vector<double> reference(const Spec& spec, const float* row) {
  std::vector<double> sum(spec.num_outputs, 0);
  std::vector<bool> voted(spec.num_outputs);
  for (const auto& tree : spec.trees) {
    const Spec::Node* n = &tree.nodes[0];
    while (!n->leaf) {
      double v = row[n->feature], t = n->threshold;
      bool yes = false;
      if (std::isnan(v)) {
        yes = n->missing_yes;
      } else {
        switch (n->split) {
          case Spec::Split::kLess:
            yes = v < t;
            break;
          case Spec::Split::kLessEqual:
            yes = v <= t;
            break;
          case Spec::Split::kGreater:
            yes = v > t;
            break;
          case Spec::Split::kGreaterEqual:
            yes = v >= t;
            break;
          case Spec::Split::kEqual:
            yes = v == t;
            break;
          case Spec::Split::kNotEqual:
            yes = v != t;
            break;
          case Spec::Split::kMember:
            yes = std::find(n->members.begin(), n->members.end(), v) != n->members.end();
            break;
        }
      }
      n = &tree.nodes[yes ? n->yes : n->no];
    }
    for (auto [o, w] : n->adds) {
      switch (spec.aggregate) {
        case Spec::Aggregate::kSum:
        case Spec::Aggregate::kAverage:
          sum[o] += w;
          break;
        case Spec::Aggregate::kMin:
          sum[o] = voted[o] ? std::min(sum[o], w) : w;
          break;
        case Spec::Aggregate::kMax:
          sum[o] = voted[o] ? std::max(sum[o], w) : w;
          break;
      }
      voted[o] = true;
    }
  }
  for (size_t o = 0; o < spec.num_outputs; ++o) {
    if (spec.aggregate == Spec::Aggregate::kAverage) sum[o] /= spec.trees.size();
    if (!spec.base.empty()) sum[o] += spec.base[o];
  }
  return sum;
}

Spec::Node split(Spec::Split s, uint32_t feature, double t, uint32_t yes, uint32_t no,
                 bool missing_yes) {
  Spec::Node n;
  n.split = s;
  n.feature = feature;
  n.threshold = t;
  n.yes = yes;
  n.no = no;
  n.missing_yes = missing_yes;
  return n;
}

Spec::Node leaf(std::vector<std::pair<uint32_t, double>> adds) {
  Spec::Node n;
  n.leaf = true;
  n.adds = std::move(adds);
  return n;
}

// Thresholds that are not floats (0.1, 1/3), floats, and infinities.
const double kThresholds[] = {0.1, 1.0 / 3, 0.5, -2.75, 1e-40, 3.4028235677973366e38, -INFINITY};

// Each row holds, for feature f, a value at or one float beside some threshold, or NaN.
std::vector<float> probe_rows(size_t rows, size_t features, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<float> x(rows * features);
  for (auto& v : x) {
    double t = kThresholds[rng() % std::size(kThresholds)];
    float f = static_cast<float>(t);
    switch (rng() % 5) {
      case 0:
        v = f;
        break;
      case 1:
        v = std::nextafter(f, INFINITY);
        break;
      case 2:
        v = std::nextafter(f, -INFINITY);
        break;
      case 3:
        v = NAN;
        break;
      default:
        v = static_cast<float>(rng() % 7) - 3;
        break;
    }
  }
  return x;
}

// Random trees of depth 3 on `features` features; kinds drawn from `kinds`.
Spec random_spec(std::vector<Spec::Split> kinds, size_t outputs, bool multi_leaves, size_t trees,
                 unsigned seed) {
  std::mt19937 rng(seed);
  Spec spec;
  spec.num_features = 3;
  spec.num_outputs = outputs;
  for (size_t t = 0; t < trees; ++t) {
    Spec::Tree tree;
    // Complete binary tree of depth 3 in heap order, children listed no before yes sometimes.
    for (uint32_t i = 0; i < 15; ++i) {
      if (i >= 7) {
        std::vector<std::pair<uint32_t, double>> adds;
        if (multi_leaves) {
          for (uint32_t o = 0; o < outputs; ++o)
            if (rng() % 3) adds.emplace_back(o, (rng() % 1000) / 64.0 - 7);
        } else {
          adds.emplace_back(t % outputs, (rng() % 1000) / 64.0 - 7);
        }
        tree.nodes.push_back(leaf(adds));
        continue;
      }
      auto kind = kinds[rng() % kinds.size()];
      double threshold = kThresholds[rng() % std::size(kThresholds)];
      auto n = split(kind, rng() % 3, threshold, 2 * i + 1, 2 * i + 2, rng() % 2);
      if (rng() % 2) std::swap(n.yes, n.no);
      if (kind == Spec::Split::kMember) n.members = {threshold, 2, -1};
      tree.nodes.push_back(n);
    }
    spec.trees.push_back(tree);
  }
  return spec;
}

void expect_agrees(const Spec& spec, const std::string& what) {
  CompiledModel m = CompiledModel::compile(spec);
  // 300 rows: a block's AVX2 walk and scalar rest; 1..3 rows: the few-rows walk.
  std::vector<float> x = probe_rows(300, spec.num_features, 7);
  std::vector<float> out(300 * spec.num_outputs);
  m.predict_margins(x.data(), 300, spec.num_features, out.data());
  std::vector<float> few(spec.num_outputs);
  for (size_t r = 0; r < 300; ++r) {
    auto want = reference(spec, x.data() + r * spec.num_features);
    m.predict_margins(x.data() + r * spec.num_features, 1, spec.num_features, few.data());
    for (size_t o = 0; o < spec.num_outputs; ++o) {
      ASSERT_NEAR(out[r * spec.num_outputs + o], want[o], 1e-4) << what << " row " << r;
      ASSERT_EQ(few[o], out[r * spec.num_outputs + o]) << what << " row " << r;
    }
  }
}

TEST(TreeSpec, EverySplitKindLowersExactly) {
  using S = Spec::Split;
  for (auto kind : {S::kLess, S::kLessEqual, S::kGreater, S::kGreaterEqual})
    expect_agrees(random_spec({kind}, 1, false, 20, static_cast<unsigned>(kind)),
                  "split " + std::to_string(static_cast<int>(kind)));
  // Trees with ==, != and sets take the node-by-node walk; mixed with lowered trees.
  Spec mixed =
      random_spec({S::kLess, S::kLessEqual, S::kGreater, S::kGreaterEqual}, 1, false, 10, 3);
  Spec generic = random_spec({S::kEqual, S::kNotEqual, S::kMember, S::kLessEqual}, 1, false, 10, 4);
  mixed.trees.insert(mixed.trees.end(), generic.trees.begin(), generic.trees.end());
  expect_agrees(mixed, "mixed");
  // "<= +inf" holds for x = +inf, which no float threshold gives: the generic walk takes it.
  Spec inf;
  inf.num_features = 1;
  inf.trees.push_back(
      {{split(S::kLessEqual, 0, INFINITY, 1, 2, false), leaf({{0, 1}}), leaf({{0, 2}})}});
  CompiledModel m = CompiledModel::compile(inf);
  float x[] = {INFINITY, NAN};
  float out[2];
  m.predict_margins(x, 2, 1, out);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], 2);
}

TEST(TreeSpec, MultiOutputLeavesAggregatesAndBase) {
  using S = Spec::Split;
  for (auto agg : {Spec::Aggregate::kSum, Spec::Aggregate::kAverage, Spec::Aggregate::kMin,
                   Spec::Aggregate::kMax}) {
    Spec spec = random_spec({S::kLess, S::kLessEqual, S::kGreater}, 3, true, 12,
                            11 + static_cast<unsigned>(agg));
    spec.aggregate = agg;
    spec.base = {0.5, -1.25, 3};
    expect_agrees(spec, "aggregate " + std::to_string(static_cast<int>(agg)));
  }
  // One output per tree (boosted multiclass) keeps values in the leaves.
  Spec boosted = random_spec({S::kLess, S::kGreaterEqual}, 3, false, 9, 5);
  boosted.base = {1, 2, 3};
  expect_agrees(boosted, "boosted");
}

TEST(TreeSpec, TransformsAndErrors) {
  Spec spec;
  spec.num_features = 1;
  spec.num_outputs = 2;
  spec.transform = Spec::Transform::kSoftmax;
  spec.trees.push_back(
      {{split(Spec::Split::kLess, 0, 0.5, 1, 2, true), leaf({{0, 1}, {1, 2}}), leaf({{1, 1}})}});
  CompiledModel m = CompiledModel::compile(spec);
  float x[] = {0};
  double out[2];
  m.predict(x, 1, out);
  EXPECT_NEAR(out[1], 1 / (1 + std::exp(-1.0)), 1e-7);

  auto error = [](Spec s) {
    try {
      CompiledModel::compile(s);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  Spec bad = spec;
  bad.trees[0].nodes[0].no = 7;
  EXPECT_EQ(error(bad), "tree 0 node 0: child 7 does not exist");
  bad = spec;
  bad.trees[0].nodes[0].no = 1;
  EXPECT_EQ(error(bad), "tree 0 node 0: child 1 is reached twice");
  bad = spec;
  bad.trees[0].nodes[0].feature = 1;
  EXPECT_EQ(error(bad), "tree 0 node 0 splits on feature 1 of 1");
  bad = spec;
  bad.trees[0].nodes[2].adds = {{2, 1.0}};
  EXPECT_EQ(error(bad), "tree 0 node 2 adds to output 2 of 2");
  bad = spec;
  bad.base = {1};
  EXPECT_EQ(error(bad), "tree ensemble has 1 base values for 2 outputs");
}

}  // namespace
}  // namespace plinth::model
