#include "model/tree_engine.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace plinth::model {
namespace {

constexpr size_t kBlockRows = 64;

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
      m.nodes_.push_back({});
      for (size_t q = 0; q < queue.size(); ++q) {
        int32_t src = queue[q];
        Node& dst = m.nodes_[root + q];
        if (left.at(src) == -1) {
          dst = {kLeaf, cond.at(src), 0};
          continue;
        }
        uint32_t child = root + static_cast<uint32_t>(queue.size());
        dst = {index.at(src) | (dleft.at(src) ? 0x80000000u : 0u), cond.at(src), child};
        if (index.at(src) >= m.num_features_)
          throw Error(ErrorCode::kInvalidInput, "split on a feature beyond num_feature");
        queue.push_back(left[src]);
        queue.push_back(right.at(src));
        m.nodes_.push_back({});
        m.nodes_.push_back({});
      }
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
  const Node* nodes = nodes_.data();
  for (size_t t = 0; t < roots_.size(); ++t) {
    uint32_t root = roots_[t], group = tree_group_[t];
    for (size_t r = 0; r < rows; ++r) {
      const float* row = x + r * num_features_;
      uint32_t i = root;
      while (nodes[i].info != kLeaf) {
        const Node& n = nodes[i];
        float v = row[n.info & 0x7FFFFFFFu];
        bool go_left = std::isnan(v) ? (n.info >> 31) != 0 : v < n.value;
        i = n.left + (go_left ? 0 : 1);
      }
      margin[r * groups_ + group] += nodes[i].value;
    }
  }
}

void CompiledModel::predict(const float* x, size_t rows, double* out) const {
  float margin[kBlockRows * 64];
  size_t block =
      std::max<size_t>(1, std::min(kBlockRows, sizeof margin / sizeof *margin / groups_));
  if (groups_ > 64 * kBlockRows)
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
