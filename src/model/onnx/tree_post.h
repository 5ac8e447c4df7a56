#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

// What ONNX's tree classifiers and regressors do after summing the leaves, as onnxruntime does
// it in float32 (the oracle): the post transforms, and the classifier's label and score rules,
// whose two-class cases depend on which classes got votes.
namespace plinth::model::onnx::trees {

enum class Post { kNone, kLogistic, kSoftmax, kSoftmaxZero, kProbit };

float logistic(float v);
// √2·erfinv(2p − 1) with the approximate erfinv onnxruntime uses (Winitzki's, a = 0.147).
float probit(float p);
// `post` over n >= 2 scores in place.
void transform(Post post, float* v, size_t n);

struct ClassifierPost {
  size_t classes = 2;
  Post post = Post::kNone;
  std::vector<float> base;   // empty, one per class, or (two classes) one
  bool all_positive = true;  // every class weight >= 0
  bool binary_case = false;  // two classes, every vote for the same class id
  // Per class: the engine output counting its votes in a row, or -1 when some tree votes for
  // it at every leaf.
  std::vector<int64_t> counter;

  // From a row's engine outputs (class sums, then vote counters) writes `classes` scores and
  // returns the label's class index.
  size_t finish(const float* margins, float* scores) const;
};

}  // namespace plinth::model::onnx::trees
