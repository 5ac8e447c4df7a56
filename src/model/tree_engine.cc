#include "model/tree_engine.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace plinth::model {
namespace {

constexpr size_t kBlockRows = 256;
// Below this many rows a block walks several trees per row at once (see predict_block).
constexpr size_t kFewRows = 4;
constexpr size_t kTreesAtOnce = 8;

// Advances `at` (positions of 8*groups rows, row r at x + r * stride) `depth` levels down the
// tree, 8 rows per AVX2 vector, all groups one level at a time so their gathers overlap.
// Same arithmetic as the scalar walk in predict_block.
__attribute__((target("avx2"))) void walk_avx2(const uint32_t* nodes, const float* x, size_t stride,
                                               uint32_t depth, size_t groups, uint32_t* at) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i feature_mask = _mm256_set1_epi32(0x7FFFFFFF), one = _mm256_set1_epi32(1);
  const auto* values = reinterpret_cast<const float*>(nodes + 1);
  for (uint32_t level = 0; level < depth; ++level) {
    for (size_t g = 0; g < groups; ++g) {
      __m256i i = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + 8 * g));
      __m256i i3 = _mm256_add_epi32(i, _mm256_add_epi32(i, i));
      __m256i info = _mm256_i32gather_epi32(reinterpret_cast<const int*>(nodes), i3, 4);
      __m256 threshold = _mm256_i32gather_ps(values, i3, 4);
      __m256i left = _mm256_i32gather_epi32(reinterpret_cast<const int*>(nodes + 2), i3, 4);
      __m256i row =
          _mm256_mullo_epi32(_mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(8 * g)), lane),
                             _mm256_set1_epi32(static_cast<int>(stride)));
      __m256 v =
          _mm256_i32gather_ps(x, _mm256_add_epi32(row, _mm256_and_si256(info, feature_mask)), 4);
      __m256i go_left =
          _mm256_or_si256(_mm256_castps_si256(_mm256_cmp_ps(v, threshold, _CMP_LT_OQ)),
                          _mm256_and_si256(_mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)),
                                           _mm256_srai_epi32(info, 31)));
      __m256i stay = _mm256_or_si256(go_left, _mm256_cmpeq_epi32(left, i));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(at + 8 * g),
                          _mm256_add_epi32(left, _mm256_andnot_si256(stay, one)));
    }
  }
}

const bool kHasAvx2 = __builtin_cpu_supports("avx2");

float number(const nlohmann::json& j) {
  return j.is_string() ? std::stof(j.get<std::string>()) : j.get<float>();
}

}  // namespace

CompiledModel CompiledModel::compile(const std::string& text) {
  CompiledModel m;
  try {
    auto learner = nlohmann::json::parse(text).at("learner");
    const auto& param = learner.at("learner_model_param");
    m.num_features_ = std::stoul(param.at("num_feature").get<std::string>());
    size_t num_class = std::stoul(param.at("num_class").get<std::string>());
    m.groups_ = std::max<size_t>(num_class, 1);
    float base_score = number(param.at("base_score"));
    std::string objective = learner.at("objective").at("name");
    if (objective == "binary:logistic" || objective == "reg:logistic") {
      m.transform_ = Transform::kSigmoid;
      m.base_margin_ = -std::log(1.0f / base_score - 1.0f);
    } else if (objective == "multi:softprob" || objective == "multi:softmax") {
      m.transform_ = Transform::kSoftmax;
      m.base_margin_ = base_score;
    } else if (objective == "reg:squarederror") {
      m.base_margin_ = base_score;
    } else {
      throw Error(ErrorCode::kInvalidInput, "objective '" + objective + "' is not compiled");
    }
    const auto& booster = learner.at("gradient_booster");
    std::string name = booster.at("name");
    if (name == "gblinear") {
      for (const auto& w : booster.at("model").at("weights"))
        m.linear_weights_.push_back(number(w));
      if (m.linear_weights_.size() != (m.num_features_ + 1) * m.groups_)
        throw Error(ErrorCode::kInvalidInput, "gblinear weights do not match num_feature");
      return m;
    }
    if (name != "gbtree")
      throw Error(ErrorCode::kInvalidInput, "booster '" + name + "' is not compiled");
    const auto& model = booster.at("model");
    const auto& info = model.at("tree_info");
    size_t t = 0;
    for (const auto& tree : model.at("trees")) {
      auto left = tree.at("left_children").get<std::vector<int32_t>>();
      auto right = tree.at("right_children").get<std::vector<int32_t>>();
      auto cond = tree.at("split_conditions").get<std::vector<float>>();
      auto index = tree.at("split_indices").get<std::vector<uint32_t>>();
      auto dleft = tree.at("default_left").get<std::vector<int>>();
      for (int s : tree.value("split_type", std::vector<int>{}))
        if (s != 0) throw Error(ErrorCode::kInvalidInput, "categorical splits are not compiled");
      // Breadth-first relayout: the two children of a node become neighbours.
      uint32_t root = static_cast<uint32_t>(m.nodes_.size());
      m.roots_.push_back(root);
      m.tree_group_.push_back(info.at(t++).get<uint32_t>());
      std::vector<int32_t> queue{0};
      std::vector<uint32_t> level{0};
      m.nodes_.push_back({});
      for (size_t q = 0; q < queue.size(); ++q) {
        int32_t src = queue[q];
        Node& dst = m.nodes_[root + q];
        if (left.at(src) == -1) {
          dst = {0, cond.at(src), root + static_cast<uint32_t>(q)};
          continue;
        }
        uint32_t child = root + static_cast<uint32_t>(queue.size());
        dst = {index.at(src) | (dleft.at(src) ? 0x80000000u : 0u), cond.at(src), child};
        if (index.at(src) >= m.num_features_)
          throw Error(ErrorCode::kInvalidInput, "split on a feature beyond num_feature");
        queue.push_back(left[src]);
        queue.push_back(right.at(src));
        level.push_back(level[q] + 1);
        level.push_back(level[q] + 1);
        m.nodes_.push_back({});
        m.nodes_.push_back({});
      }
      m.tree_depth_.push_back(*std::max_element(level.begin(), level.end()));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kInvalidInput, std::string("model.json: ") + e.what());
  } catch (const std::logic_error& e) {
    throw Error(ErrorCode::kInvalidInput, std::string("model.json: bad number: ") + e.what());
  }
  return m;
}

void CompiledModel::predict_block(const float* x, size_t rows, float* margin) const {
  std::fill(margin, margin + rows * groups_, base_margin_);
  if (!linear_weights_.empty()) {
    const float* bias = linear_weights_.data() + num_features_ * groups_;
    for (size_t r = 0; r < rows; ++r)
      for (size_t g = 0; g < groups_; ++g) {
        float sum = bias[g] + base_margin_;
        const float* row = x + r * num_features_;
        for (size_t f = 0; f < num_features_; ++f)
          if (!std::isnan(row[f])) sum += row[f] * linear_weights_[f * groups_ + g];
        margin[r * groups_ + g] = sum;
      }
    return;
  }
  static_assert(sizeof(Node) == 12, "walk_avx2 reads nodes as three 32-bit words");
  const Node* nodes = nodes_.data();
  if (rows < kFewRows) {
    // Too few rows to overlap their walks (a served request): walk one row through
    // kTreesAtOnce trees at a time instead, so the independent loads overlap. Leaves are still
    // added in tree order.
    for (size_t r = 0; r < rows; ++r) {
      const float* row = x + r * num_features_;
      float* m = margin + r * groups_;
      for (size_t t = 0; t < roots_.size(); t += kTreesAtOnce) {
        size_t k = std::min(kTreesAtOnce, roots_.size() - t);
        uint32_t at[kTreesAtOnce];
        uint32_t depth = 0;
        for (size_t j = 0; j < k; ++j) {
          at[j] = roots_[t + j];
          depth = std::max(depth, tree_depth_[t + j]);
        }
        for (uint32_t level = 0; level < depth; ++level)
          for (size_t j = 0; j < k; ++j) {
            const Node& n = nodes[at[j]];
            float v = row[n.info & 0x7FFFFFFFu];
            bool go_left = (v < n.value) | ((v != v) & ((n.info >> 31) != 0));
            at[j] = n.left + static_cast<uint32_t>(!go_left & (n.left != at[j]));
          }
        for (size_t j = 0; j < k; ++j) m[tree_group_[t + j]] += nodes[at[j]].value;
      }
    }
    return;
  }
  uint32_t at[kBlockRows];
  for (size_t t = 0; t < roots_.size(); ++t) {
    uint32_t group = tree_group_[t];
    std::fill(at, at + rows, roots_[t]);
    size_t vector_rows = kHasAvx2 ? rows / 8 * 8 : 0;
    if (vector_rows)
      walk_avx2(reinterpret_cast<const uint32_t*>(nodes), x, num_features_, tree_depth_[t],
                vector_rows / 8, at);
    for (uint32_t level = 0; level < tree_depth_[t]; ++level) {
      for (size_t r = vector_rows; r < rows; ++r) {
        const Node& n = nodes[at[r]];
        float v = x[r * num_features_ + (n.info & 0x7FFFFFFFu)];
        // NaN compares false, so a missing value goes where the default bit says.
        bool go_left = (v < n.value) | ((v != v) & ((n.info >> 31) != 0));
        at[r] = n.left + static_cast<uint32_t>(!go_left & (n.left != at[r]));
      }
    }
    for (size_t r = 0; r < rows; ++r) margin[r * groups_ + group] += nodes[at[r]].value;
  }
}

void CompiledModel::predict(const float* x, size_t rows, double* out) const {
  float margin[kBlockRows * 16];
  size_t block =
      std::max<size_t>(1, std::min(kBlockRows, sizeof margin / sizeof *margin / groups_));
  if (groups_ > 16 * kBlockRows)
    throw Error(ErrorCode::kInvalidInput, "too many classes for the compiled engine");
  for (size_t start = 0; start < rows; start += block) {
    size_t n = std::min(block, rows - start);
    predict_block(x + start * num_features_, n, margin);
    for (size_t r = 0; r < n; ++r) {
      const float* m = margin + r * groups_;
      double* o = out + (start + r) * groups_;
      switch (transform_) {
        case Transform::kIdentity:
          o[0] = m[0];
          break;
        case Transform::kSigmoid:
          o[0] = 1.0 / (1.0 + std::exp(-static_cast<double>(m[0])));
          break;
        case Transform::kSoftmax: {
          double top = *std::max_element(m, m + groups_), sum = 0;
          for (size_t g = 0; g < groups_; ++g) sum += o[g] = std::exp(m[g] - top);
          for (size_t g = 0; g < groups_; ++g) o[g] /= sum;
          break;
        }
      }
    }
  }
}

}  // namespace plinth::model
