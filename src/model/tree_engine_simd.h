#pragma once

#include <cstddef>
#include <cstdint>

// The tree engine's vector kernels (tree_engine.h), each compiled for its instruction set and
// called only when the CPU has it (the callers check `has_avx2()` / `has_avx512()` once).
namespace plinth::model::simd {

bool has_avx2();
bool has_avx512();

// Advances `at` (node positions of 8*groups rows, row r at x + r * stride) `depth` levels down a
// tree of 12-byte nodes {info, value, left} (tree_engine.h), 8 rows per AVX2 vector.
void walk_avx2(const uint32_t* nodes, const float* x, size_t stride, uint32_t depth, size_t groups,
               uint32_t* at);

// Trees laid out as perfect binary trees (tree_engine.h, "perfect layout"): a tree of depth D
// at `data + offset` holds 2^D - 1 thresholds (floats, breadth first), then as many split words
// (feature index, bit 31 set when a missing value goes left), then 2^D leaf values; the node
// i of a level has children 2i (x < threshold, or missing and bit 31) and 2i + 1 on the next.
struct PerfectTrees {
  const uint32_t* data;  // followed by at least 64 readable words past the last tree
  const uint32_t* offset;
  const uint8_t* depth;    // each <= kMaxPerfectDepth
  const uint32_t* output;  // the output a tree's leaves add to
  size_t trees;
};
constexpr uint32_t kMaxPerfectDepth = 8;
// Rows of a block, feature-major: feature f of row r at cols[f * kColumnStride + r].
constexpr size_t kColumnStride = 256;

// For `rows` (a multiple of 16, <= kColumnStride) rows in `cols`, adds each tree's leaf value, tree
// by tree, to margin[output * kColumnStride + r]. `missing`: whether any value is NaN (else the
// walk skips the missing-value rule). AVX-512F/DQ; 16 rows per vector.
void walk_perfect_avx512(const PerfectTrees& trees, const float* cols, size_t num_features,
                         size_t rows, bool missing, float* margin);

}  // namespace plinth::model::simd
