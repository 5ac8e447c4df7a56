#pragma once

#include <cstdint>
#include <string>
#include <vector>

// The fast scoring engine: the trees (or linear weights) of an XGBoost JSON model compiled into
// one flat array of 12-byte nodes, children side by side, evaluated over blocks of rows tree by
// tree (treelite-style) so a block's rows share the cache-resident tree. Within a tree all rows
// of the block advance one level at a time, without branches (a leaf points to itself), so
// the walk costs no branch mispredictions and the rows' loads overlap. Leaf values are summed in
// float in XGBoost's order, so predictions equal XGBoost's to float rounding of the final
// transform (1e-6 is the tested bound).
namespace plinth::model {

class CompiledModel {
 public:
  // Compiles XGBoost's JSON model (gbtree, including random-forest mode, or gblinear; objectives
  // binary:logistic, multi:softprob, multi:softmax as probabilities, reg:squarederror,
  // reg:logistic). Throws Error(kInvalidInput) for what it cannot compile (categorical splits,
  // other objectives), so the caller can fall back to XGBoost.
  static CompiledModel compile(const std::string& model_json);

  size_t num_features() const { return num_features_; }
  // Values per row: the number of classes for multiclass, else 1.
  size_t num_outputs() const { return groups_; }
  size_t num_trees() const { return roots_.size(); }

  // Transformed predictions for `rows` dense rows of num_features() floats (NaN = missing),
  // row-major; `out` receives rows * num_outputs() values. Thread-safe.
  void predict(const float* x, size_t rows, double* out) const;

 private:
  struct Node {
    uint32_t info;  // the feature index, bit 31 set when a missing value goes left; 0 for leaves
    float value;    // split threshold (go left when x < value), or the leaf value
    uint32_t left;  // index of the left child (the right child follows it); a leaf's own index
  };

  void predict_block(const float* x, size_t rows, float* margin) const;

  std::vector<Node> nodes_;
  std::vector<uint32_t> roots_;
  std::vector<uint32_t> tree_group_;
  std::vector<uint32_t> tree_depth_;   // levels from the root to the deepest leaf
  std::vector<float> linear_weights_;  // gblinear: (num_features + 1) x groups, bias last
  size_t num_features_ = 0, groups_ = 1;
  float base_margin_ = 0;
  enum class Transform { kIdentity, kSigmoid, kSoftmax } transform_ = Transform::kIdentity;
};

}  // namespace plinth::model
