#pragma once

#include <cstdint>

// The matrix product under MatMul, Gemm and LinearClassifier: C = A·B (+ bias per column), all
// row-major, A [m, k], B [k, n], C [m, n]. Blocked in registers and compiled twice (AVX2+FMA and
// baseline x86-64), picked at run time.
namespace plinth::model::onnx::ops {

void gemm(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c,
          const float* bias);
void gemm(int64_t m, int64_t n, int64_t k, const double* a, const double* b, double* c,
          const double* bias);

}  // namespace plinth::model::onnx::ops
