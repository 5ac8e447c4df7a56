#include "model/onnx/matmul.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace plinth::model::onnx::ops {
namespace {

// A kRows x kCols tile of C kept in registers while k runs; B's rows are contiguous. Written
// with GCC vector types (8 floats or 4 doubles, one AVX register) so both clones keep the
// accumulators in registers.
template <typename T>
struct Vector;
template <>
struct Vector<float> {
  typedef float type __attribute__((vector_size(32)));
};
template <>
struct Vector<double> {
  typedef double type __attribute__((vector_size(32)));
};

template <typename T, int kRows, int kCols>
inline __attribute__((always_inline)) void tile(int64_t n, int64_t k, const T* a, const T* b, T* c,
                                                const T* bias) {
  using V = typename Vector<T>::type;
  constexpr int kLanes = 32 / sizeof(T), kVectors = kCols / kLanes;
  V acc[kRows][kVectors];
  for (int v = 0; v < kVectors; ++v) {
    V init = {};
    if (bias) std::memcpy(&init, bias + v * kLanes, sizeof(V));
    for (int r = 0; r < kRows; ++r) acc[r][v] = init;
  }
  for (int64_t p = 0; p < k; ++p) {
    V bv[kVectors];
    for (int v = 0; v < kVectors; ++v) std::memcpy(&bv[v], b + p * n + v * kLanes, sizeof(V));
    for (int r = 0; r < kRows; ++r) {
      V av = V{} + a[r * k + p];
      for (int v = 0; v < kVectors; ++v) acc[r][v] += av * bv[v];
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int v = 0; v < kVectors; ++v) std::memcpy(c + r * n + v * kLanes, &acc[r][v], sizeof(V));
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
inline __attribute__((always_inline)) void activate_body(T* v, int64_t count, Activation act,
                                                         float alpha) {
  switch (act) {
    case Activation::kNone:
      return;
    case Activation::kRelu:
      for (int64_t i = 0; i < count; ++i) v[i] = v[i] > 0 ? v[i] : T(0);
      return;
    case Activation::kLeakyRelu:
      for (int64_t i = 0; i < count; ++i) v[i] = v[i] >= 0 ? v[i] : v[i] * T(alpha);
      return;
    case Activation::kSigmoid:  // the stable form, as the Sigmoid operator computes it
      for (int64_t i = 0; i < count; ++i) {
        T e = std::exp(-std::abs(v[i]));
        v[i] = v[i] >= 0 ? T(1) / (T(1) + e) : e / (T(1) + e);
      }
      return;
    case Activation::kTanh:
      for (int64_t i = 0; i < count; ++i) v[i] = std::tanh(v[i]);
      return;
  }
}

template <typename T>
inline __attribute__((always_inline)) void gemm_body(int64_t m, int64_t n, int64_t k, const T* a,
                                                     const T* b, T* c, const T* bias,
                                                     Activation act, float alpha) {
  // 6 rows x 2 AVX registers: 12 accumulators of 16; then one-register tiles, then scalars.
  constexpr int kRows = 6, kLanes = 32 / sizeof(T), kCols = 2 * kLanes;
  int64_t wide = n - n % kCols, full_rows = m - m % kRows;
  int64_t narrow = n - wide >= kLanes ? wide + kLanes : wide;
  for (int64_t i = 0; i < full_rows; i += kRows) {
    const T* ai = a + i * k;
    T* ci = c + i * n;
    for (int64_t j = 0; j < wide; j += kCols)
      tile<T, kRows, kCols>(n, k, ai, b + j, ci + j, bias ? bias + j : nullptr);
    if (narrow > wide)
      tile<T, kRows, kLanes>(n, k, ai, b + wide, ci + wide, bias ? bias + wide : nullptr);
    if (narrow < n)
      edge(kRows, n - narrow, n, k, ai, b + narrow, ci + narrow, bias ? bias + narrow : nullptr);
    activate_body(ci, kRows * n, act, alpha);  // while the block is still in L1
  }
  if (full_rows < m) {
    edge(m - full_rows, n, n, k, a + full_rows * k, b, c + full_rows * n, bias);
    activate_body(c + full_rows * n, (m - full_rows) * n, act, alpha);
  }
}

}  // namespace

#define PLINTH_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))

PLINTH_CLONES void gemm(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c,
                        const float* bias, Activation act, float alpha) {
  gemm_body(m, n, k, a, b, c, bias, act, alpha);
}

PLINTH_CLONES void gemm(int64_t m, int64_t n, int64_t k, const double* a, const double* b,
                        double* c, const double* bias, Activation act, float alpha) {
  gemm_body(m, n, k, a, b, c, bias, act, alpha);
}

PLINTH_CLONES void activate(float* values, int64_t count, Activation act, float alpha) {
  activate_body(values, count, act, alpha);
}

PLINTH_CLONES void activate(double* values, int64_t count, Activation act, float alpha) {
  activate_body(values, count, act, alpha);
}

}  // namespace plinth::model::onnx::ops
