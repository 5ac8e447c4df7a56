#include "model/onnx/tree_post.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace plinth::model::onnx::trees {

float logistic(float v) {
  float e = 1.0f / (1.0f + std::exp(-std::fabs(v)));
  return v < 0 ? 1.0f - e : e;
}

float probit(float p) {
  float x = 2 * p - 1;
  float sign = x < 0 ? -1.0f : 1.0f;
  float ln = std::log((1 - x) * (1 + x));
  float a = 2 / (3.14159f * 0.147f) + 0.5f * ln;
  float erfinv = sign * std::sqrt(-a + std::sqrt(a * a - ln / 0.147f));
  return 1.41421356f * erfinv;
}

void transform(Post post, float* v, size_t n) {
  switch (post) {
    case Post::kNone:
      return;
    case Post::kLogistic:
      for (size_t i = 0; i < n; ++i) v[i] = logistic(v[i]);
      return;
    case Post::kProbit:
      for (size_t i = 0; i < n; ++i) v[i] = probit(v[i]);
      return;
    case Post::kSoftmax: {
      float top = -std::numeric_limits<float>::max(), sum = 0;
      for (size_t i = 0; i < n; ++i) top = std::max(top, v[i]);
      for (size_t i = 0; i < n; ++i) sum += v[i] = std::exp(v[i] - top);
      for (size_t i = 0; i < n; ++i) v[i] /= sum;
      return;
    }
    case Post::kSoftmaxZero: {
      // Softmax over the non-zero scores; zeros stay (nearly) zero.
      float top = -std::numeric_limits<float>::max(), sum = 0;
      for (size_t i = 0; i < n; ++i) top = std::max(top, v[i]);
      float scale = std::exp(-top);
      for (size_t i = 0; i < n; ++i) {
        if (v[i] > 1e-7f || v[i] < -1e-7f) {
          sum += v[i] = std::exp(v[i] - top);
        } else {
          v[i] *= scale;
        }
      }
      for (size_t i = 0; i < n; ++i) v[i] /= sum;
      return;
    }
  }
}

size_t ClassifierPost::finish(const float* m, float* scores) const {
  auto voted = [&](size_t c) { return counter[c] < 0 || m[counter[c]] > 0; };
  if (classes > 2) {
    // Base values give their classes a score; the label is the best class that has one.
    long best = -1;
    for (size_t c = 0; c < classes; ++c) {
      bool has = voted(c) || c < base.size();
      scores[c] = has ? m[c] + (c < base.size() ? base[c] : 0.0f) : 0.0f;
      if (has && (best < 0 || scores[c] > scores[best])) best = static_cast<long>(c);
    }
    transform(post, scores, classes);
    return best < 0 ? 0 : static_cast<size_t>(best);
  }
  bool h0 = voted(0), h1 = voted(1);
  float p0 = m[0], p1 = m[1];
  bool two = true;
  if (base.size() == 2) {
    if (h1) {
      p1 = base[1] + p0;
      p0 = -p1;
    } else {
      p0 += base[0];
      p1 += base[1];
    }
  } else {
    if (base.size() == 1) p0 += base[0];
    two = h1;
  }
  float positive = two && h1 ? p1 : (h0 ? p0 : 0.0f);
  size_t label = binary_case && all_positive ? positive > 0.5f : positive > 0;
  if (two) {
    scores[0] = h0 ? p0 : 0.0f;
    scores[1] = h1 ? p1 : 0.0f;
    transform(post, scores, 2);
    return label;
  }
  // One score s for two columns: the binary rule.
  float s = h0 ? p0 : 0.0f;
  scores[1] = 0;
  if (post == Post::kProbit) {
    scores[0] = probit(s);  // onnxruntime leaves column 1 unwritten
  } else if (!binary_case && !base.empty()) {
    scores[0] = s;  // likewise
  } else if (post == Post::kLogistic) {
    scores[0] = logistic(-s);
    scores[1] = logistic(s);
  } else {
    scores[0] = binary_case && all_positive ? 1.0f - s : -s;
    scores[1] = s;
  }
  return label;
}

}  // namespace plinth::model::onnx::trees
