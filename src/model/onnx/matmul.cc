#include "model/onnx/matmul.h"

#include <algorithm>

namespace plinth::model::onnx::ops {
namespace {

// A kRows x kCols tile of C kept in registers while k runs; B's rows are contiguous.
template <typename T, int kRows, int kCols>
inline __attribute__((always_inline)) void tile(int64_t n, int64_t k, const T* a, const T* b, T* c,
                                                const T* bias) {
  T acc[kRows][kCols];
  for (int r = 0; r < kRows; ++r)
    for (int j = 0; j < kCols; ++j) acc[r][j] = bias ? bias[j] : T(0);
  for (int64_t p = 0; p < k; ++p) {
    const T* bp = b + p * n;
    for (int r = 0; r < kRows; ++r) {
      T av = a[r * k + p];
      for (int j = 0; j < kCols; ++j) acc[r][j] += av * bp[j];
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int j = 0; j < kCols; ++j) c[r * n + j] = acc[r][j];
}

// The same for the ragged edge: any rows <= kRows, any cols <= kCols.
template <typename T>
void edge(int64_t rows, int64_t cols, int64_t n, int64_t k, const T* a, const T* b, T* c,
          const T* bias) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) {
      T sum = bias ? bias[j] : T(0);
      for (int64_t p = 0; p < k; ++p) sum += a[r * k + p] * b[p * n + j];
      c[r * n + j] = sum;
    }
}

template <typename T>
inline __attribute__((always_inline)) void gemm_body(int64_t m, int64_t n, int64_t k, const T* a,
                                                     const T* b, T* c, const T* bias) {
  constexpr int kRows = 4, kCols = 64 / sizeof(T);  // 4 rows x 2 AVX registers of floats
  int64_t full_cols = n - n % kCols, full_rows = m - m % kRows;
  for (int64_t i = 0; i < full_rows; i += kRows) {
    for (int64_t j = 0; j < full_cols; j += kCols)
      tile<T, kRows, kCols>(n, k, a + i * k, b + j, c + i * n + j, bias ? bias + j : nullptr);
    if (full_cols < n)
      edge(kRows, n - full_cols, n, k, a + i * k, b + full_cols, c + i * n + full_cols,
           bias ? bias + full_cols : nullptr);
  }
  if (full_rows < m) edge(m - full_rows, n, n, k, a + full_rows * k, b, c + full_rows * n, bias);
}

}  // namespace

__attribute__((target_clones("arch=haswell", "default"))) void gemm(int64_t m, int64_t n, int64_t k,
                                                                    const float* a, const float* b,
                                                                    float* c, const float* bias) {
  gemm_body(m, n, k, a, b, c, bias);
}

__attribute__((target_clones("arch=haswell", "default"))) void gemm(int64_t m, int64_t n, int64_t k,
                                                                    const double* a,
                                                                    const double* b, double* c,
                                                                    const double* bias) {
  gemm_body(m, n, k, a, b, c, bias);
}

}  // namespace plinth::model::onnx::ops
