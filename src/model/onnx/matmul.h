#pragma once

#include <cstdint>

// The matrix product under MatMul, Gemm, the fused dense layers and LinearClassifier:
// C = act(A·B + bias), all row-major, A [m, k], B [k, n], C [m, n], bias (optional) [n].
// Blocked in registers and compiled twice (x86-64-v3, i.e. AVX2+FMA, and baseline x86-64),
// picked at run time.
namespace plinth::model::onnx::ops {

enum class Activation { kNone, kRelu, kLeakyRelu, kSigmoid, kTanh };

void gemm(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c,
          const float* bias, Activation act = Activation::kNone, float alpha = 0);
void gemm(int64_t m, int64_t n, int64_t k, const double* a, const double* b, double* c,
          const double* bias, Activation act = Activation::kNone, float alpha = 0);

// The activation alone, in place (what the fused layers apply to each block of rows).
void activate(float* values, int64_t count, Activation act, float alpha);
void activate(double* values, int64_t count, Activation act, float alpha);

}  // namespace plinth::model::onnx::ops
