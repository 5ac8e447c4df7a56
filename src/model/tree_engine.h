#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

// The fast scoring engine: the trees (or linear weights) of an XGBoost JSON model compiled into
// one flat array of 12-byte nodes, children side by side, evaluated over blocks of rows tree by
// tree (treelite-style) so a block's rows share the cache-resident tree. Within a tree all rows
// of the block advance one level at a time, without branches (a leaf points to itself), so
// the walk costs no branch mispredictions and the rows' loads overlap. With AVX-512, trees of
// depth <= 8 are also laid out as perfect binary trees and walked 16 rows per vector with the
// level's nodes in registers (tree_engine_simd.h). Leaf values are summed in
// float in XGBoost's order, so predictions equal XGBoost's to float rounding of the final
// transform (1e-6 is the tested bound).
namespace plinth::model {

// A tree ensemble in a neutral form, whatever wrote it (XGBoost JSON, LightGBM text, ONNX's
// tree operators). compile(spec) lowers it onto the engine's "go left when x < threshold" nodes.
struct TreeEnsembleSpec {
  enum class Split { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual, kMember };
  struct Node {
    bool leaf = false;
    // Interior: `yes` when x[feature] <split> threshold (or is in `members`), else `no`; a
    // missing (NaN) value goes to `yes` when missing_yes. Thresholds are compared with the input
    // as float, exactly (compile rounds a double threshold so the float comparison agrees).
    Split split = Split::kLess;
    uint32_t feature = 0;
    double threshold = 0;
    std::vector<double> members;  // kMember
    uint32_t yes = 0, no = 0;     // indices into the tree's nodes
    bool missing_yes = false;
    // Leaf: what it adds, as (output, weight) pairs; a leaf may add to several outputs.
    std::vector<std::pair<uint32_t, double>> adds;
  };
  struct Tree {
    std::vector<Node> nodes;  // nodes[0] is the root
  };
  enum class Aggregate { kSum, kAverage, kMin, kMax };
  enum class Transform { kIdentity, kSigmoid, kSoftmax };

  size_t num_features = 0, num_outputs = 1;
  std::vector<Tree> trees;
  Aggregate aggregate = Aggregate::kSum;
  std::vector<double> base;  // per output, added after aggregation (empty: zeros)
  Transform transform = Transform::kIdentity;
};

class CompiledModel {
 public:
  // Compiles XGBoost's JSON model (gbtree, including random-forest mode, or gblinear; objectives
  // binary:logistic, multi:softprob, multi:softmax as probabilities, reg:squarederror,
  // reg:logistic). Throws Error(kInvalidInput) for what it cannot compile (categorical splits,
  // other objectives), so the caller can fall back to XGBoost.
  static CompiledModel compile(const std::string& model_json);
  // Compiles a neutral ensemble. Throws Error(kInvalidInput) naming what it cannot lower.
  // With `exact_double`, every tree is walked node by node comparing in double, for
  // predict_margins on double rows (slower; for inputs float32 cannot hold exactly).
  static CompiledModel compile(const TreeEnsembleSpec& spec, bool exact_double = false);

  size_t num_features() const { return num_features_; }
  // Values per row: the number of classes for multiclass, else 1.
  size_t num_outputs() const { return groups_; }
  size_t num_trees() const { return roots_.size(); }

  // The instructions the walk uses: compile() picks the best the CPU has. AVX-512 walks 16 rows
  // at a time over trees laid out as perfect binary trees (all of depth <= 8 that add one value
  // each, else it walks as kAvx2), AVX2 8 at a time over the flat nodes, kPortable row by row;
  // all give the same predictions, bit for bit. Tests and benchmarks compare them.
  enum class Kernel { kPortable, kAvx2, kAvx512 };
  static Kernel best_kernel();
  // Throws Error(kInvalidInput) when the CPU lacks the kernel's instructions.
  void use_kernel(Kernel kernel);

  // Transformed predictions for `rows` dense rows of num_features() floats (NaN = missing),
  // row-major; `out` receives rows * num_outputs() values. Thread-safe.
  void predict(const float* x, size_t rows, double* out) const;
  // The scores before the transform (aggregated, base added) in float, for rows `stride` >=
  // num_features() floats apart: what ONNX's tree operators post-process themselves.
  void predict_margins(const float* x, size_t rows, size_t stride, float* out) const;
  // The same on double rows; the model must be compiled with exact_double.
  void predict_margins(const double* x, size_t rows, size_t stride, float* out) const;

 private:
  struct Node {
    uint32_t info;  // the feature index, bit 31 set when a missing value goes left; 0 for leaves
    float value;    // split threshold (go left when x < value), or the leaf value (in a
                    // tree of group kLeafTable, the bits of its index into leaf_begin_)
    uint32_t left;  // index of the left child (the right child follows it); a leaf's own index
  };
  // A tree whose leaves add to several outputs (or to none) has this group; its leaves add
  // leaf_adds_[leaf_begin_[i] .. leaf_begin_[i + 1]).
  static constexpr uint32_t kLeafTable = 0xFFFFFFFFu;
  // Trees with splits "<" cannot express (==, !=, sets) are walked node by node, row by row,
  // comparing in double; their leaves are always leaf-table indices.
  struct GenericNode {
    TreeEnsembleSpec::Split split;
    bool leaf, missing_yes;
    uint32_t feature;
    double threshold;
    uint32_t members_begin, members_end;  // into members_, sorted
    uint32_t yes, no;                     // absolute indices; a leaf's `yes` is its table index
  };

  void predict_block(const float* x, size_t rows, size_t stride, float* margin) const;
  void add_leaves(size_t tree, const uint32_t* at, size_t rows, float* margin) const;
  template <typename T>
  void walk_generic(const T* x, size_t rows, size_t stride, float* margin) const;
  void lay_out_perfect();
  void walk_perfect(const float* x, size_t rows, size_t stride, float* margin) const;
  float start_margin() const;
  void finish(float* margin, size_t rows) const;

  std::vector<Node> nodes_;
  std::vector<uint32_t> roots_;
  std::vector<uint32_t> tree_group_;
  std::vector<uint32_t> tree_depth_;   // levels from the root to the deepest leaf
  std::vector<float> linear_weights_;  // gblinear: (num_features + 1) x groups, bias last
  std::vector<uint32_t> leaf_begin_;
  std::vector<std::pair<uint32_t, float>> leaf_adds_;  // (output, weight)
  // The perfect layout (tree_engine_simd.h), when every tree has one: the words of each tree
  // from perfect_offset_[t]; empty otherwise.
  std::vector<uint32_t> perfect_, perfect_offset_;
  std::vector<uint8_t> perfect_depth_;
  Kernel kernel_ = best_kernel();
  std::vector<GenericNode> generic_nodes_;
  std::vector<uint32_t> generic_roots_;
  std::vector<double> members_;
  size_t num_features_ = 0, groups_ = 1;
  float base_margin_ = 0;    // XGBoost: the margin every row starts from
  std::vector<float> base_;  // a spec's per-output base, added after aggregation
  TreeEnsembleSpec::Aggregate aggregate_ = TreeEnsembleSpec::Aggregate::kSum;
  enum class Transform { kIdentity, kSigmoid, kSoftmax } transform_ = Transform::kIdentity;
};

}  // namespace plinth::model
