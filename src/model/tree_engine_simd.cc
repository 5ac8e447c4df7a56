#include "model/tree_engine_simd.h"

#include <immintrin.h>

// GCC 12 warns that the "undefined" pass-through vector inside _mm512_permutexvar_ps and the
// gathers may be uninitialised: it is, by design (every lane is written).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace plinth::model::simd {

bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}

bool has_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return yes;
}

// Same arithmetic as the scalar walk in CompiledModel::predict_block.
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

namespace {

#define PLINTH_AVX512 __attribute__((target("avx512f,avx512dq"), always_inline)) inline

// The entries `i` (each < n) of a level's table of n 32-bit words: a permutation of the table
// while it fits in one, two or four registers, else a gather from the (L1-resident) table.
template <uint32_t n>
PLINTH_AVX512 __m512 lookup(const uint32_t* table, __m512i i) {
  const auto* t = reinterpret_cast<const float*>(table);
  if constexpr (n <= 16) {
    return _mm512_permutexvar_ps(i, _mm512_loadu_ps(t));
  } else if constexpr (n == 32) {
    return _mm512_permutex2var_ps(_mm512_loadu_ps(t), i, _mm512_loadu_ps(t + 16));
  } else if constexpr (n == 64) {
    __m512 low = _mm512_permutex2var_ps(_mm512_loadu_ps(t), i, _mm512_loadu_ps(t + 16));
    __m512 high = _mm512_permutex2var_ps(_mm512_loadu_ps(t + 32), i, _mm512_loadu_ps(t + 48));
    return _mm512_mask_blend_ps(_mm512_test_epi32_mask(i, _mm512_set1_epi32(32)), low, high);
  } else {
    return _mm512_i32gather_ps(i, t, 4);
  }
}

// The column of the feature a split word names; a threshold's bits in every lane.
PLINTH_AVX512 __m512 column(const float* x, uint32_t split) {
  return _mm512_loadu_ps(x + (split & 0x7FFFFFFFu) * kColumnStride);
}
PLINTH_AVX512 __m512 broadcast(uint32_t word) {
  return _mm512_castsi512_ps(_mm512_set1_epi32(static_cast<int>(word)));
}

// The rows of `groups` vectors (16 rows each, group k's columns at x + 16k) at positions `at`
// of level `level` descend to the tree's bottom level `depth`; the groups' steps interleave, so
// their latencies overlap. Per level: the nodes' threshold and split word by the rows' positions
// in the level, each row's value of the node's feature (picked from the feature columns by a
// chain of masked loads while there are few features, else gathered), then position =
// 2 * position + (go right). A missing value (NaN) goes right unless bit 31 says left; "not
// x < t" is also true for NaN: exactly the scalar walk's rule.
template <uint32_t level, uint32_t depth, size_t groups, bool chain, bool missing>
PLINTH_AVX512 void descend(const uint32_t* tree, const float* x, size_t num_features, __m512i* at,
                           __mmask16 (*steps)[groups]) {
  if constexpr (level < depth) {
    constexpr uint32_t first = (1u << level) - 1, inner = (1u << depth) - 1;
#pragma GCC unroll 4
    for (size_t k = 0; k < groups; ++k) {
      const float* xk = x + 16 * k;
      __m512 threshold, v;
      __m512i split;
      const uint32_t* splits = tree + inner + first;
      if constexpr (level == 0) {
        // Levels 0-2 have one, two, four nodes: their features' columns are loaded whole and
        // blended by the rows' earlier steps, no selection per row.
        threshold = broadcast(tree[0]);
        split = _mm512_set1_epi32(static_cast<int>(splits[0]));
        v = column(xk, splits[0]);
      } else if constexpr (level == 1) {
        threshold = _mm512_mask_blend_ps(steps[0][k], broadcast(tree[1]), broadcast(tree[2]));
        split = _mm512_castps_si512(
            _mm512_mask_blend_ps(steps[0][k], broadcast(splits[0]), broadcast(splits[1])));
        v = _mm512_mask_blend_ps(steps[0][k], column(xk, splits[0]), column(xk, splits[1]));
      } else {
        threshold = lookup<(1u << level)>(tree + first, at[k]);
        split = _mm512_castps_si512(lookup<(1u << level)>(splits, at[k]));
        if constexpr (level == 2) {
          v = _mm512_mask_blend_ps(
              steps[0][k],
              _mm512_mask_blend_ps(steps[1][k], column(xk, splits[0]), column(xk, splits[1])),
              _mm512_mask_blend_ps(steps[1][k], column(xk, splits[2]), column(xk, splits[3])));
        } else if constexpr (chain) {
          __m512i feature = _mm512_and_si512(split, _mm512_set1_epi32(0x7FFFFFFF));
          v = _mm512_loadu_ps(xk);
          for (size_t f = 1; f < num_features; ++f)
            v = _mm512_mask_loadu_ps(
                v, _mm512_cmpeq_epi32_mask(feature, _mm512_set1_epi32(static_cast<int>(f))),
                xk + f * kColumnStride);
        } else {
          __m512i feature = _mm512_and_si512(split, _mm512_set1_epi32(0x7FFFFFFF));
          const __m512i lane =
              _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
          v = _mm512_i32gather_ps(_mm512_add_epi32(_mm512_slli_epi32(feature, 8), lane), xk, 4);
        }
      }
      __mmask16 right = _mm512_cmp_ps_mask(v, threshold, _CMP_NLT_UQ);
      if constexpr (missing)
        right = _kandn_mask16(
            _kand_mask16(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), _mm512_movepi32_mask(split)),
            right);
      __m512i twice = _mm512_add_epi32(at[k], at[k]);
      at[k] = _mm512_mask_add_epi32(twice, right, twice, _mm512_set1_epi32(1));
      if constexpr (level < 2) steps[level][k] = right;
    }
    descend<level + 1, depth, groups, chain, missing>(tree, x, num_features, at, steps);
  }
}

template <uint32_t depth, size_t groups, bool chain, bool missing>
PLINTH_AVX512 void walk_groups(const uint32_t* tree, const float* x, size_t num_features,
                               float* margin) {
  __m512i at[groups];
  __mmask16 steps[2][groups];  // each row's first two steps: right or not
  for (size_t k = 0; k < groups; ++k) at[k] = _mm512_setzero_si512();
  descend<0, depth, groups, chain, missing>(tree, x, num_features, at, steps);
  const uint32_t* leaves = tree + 2 * ((1u << depth) - 1);
  for (size_t k = 0; k < groups; ++k)
    _mm512_storeu_ps(margin + 16 * k, _mm512_add_ps(_mm512_loadu_ps(margin + 16 * k),
                                                    lookup<(1u << depth)>(leaves, at[k])));
}

// One tree of depth `depth` over the block's rows, kGroups vectors of 16 at a time; adds its
// leaves to `margin`.
constexpr size_t kGroups = 4;
template <uint32_t depth, bool chain, bool missing>
PLINTH_AVX512 void walk_tree(const uint32_t* tree, const float* cols, size_t num_features,
                             size_t rows, float* margin) {
  size_t r = 0;
  for (; r + 16 * kGroups <= rows; r += 16 * kGroups)
    walk_groups<depth, kGroups, chain, missing>(tree, cols + r, num_features, margin + r);
  for (; r < rows; r += 16)
    walk_groups<depth, 1, chain, missing>(tree, cols + r, num_features, margin + r);
}

static_assert(kColumnStride == 256, "walk_tree gathers column f at f << 8");

template <bool chain, bool missing>
__attribute__((target("avx512f,avx512dq"))) void walk_all(const PerfectTrees& trees,
                                                          const float* cols, size_t num_features,
                                                          size_t rows, float* margin) {
  for (size_t t = 0; t < trees.trees; ++t) {
    const uint32_t* tree = trees.data + trees.offset[t];
    float* m = margin + trees.output[t] * kColumnStride;
    switch (trees.depth[t]) {
      case 0: {
        float leaf;
        __builtin_memcpy(&leaf, tree, sizeof leaf);
        for (size_t r = 0; r < rows; ++r) m[r] += leaf;
        break;
      }
#define PLINTH_DEPTH(d)                                              \
  case d:                                                            \
    walk_tree<d, chain, missing>(tree, cols, num_features, rows, m); \
    break;
        PLINTH_DEPTH(1)
        PLINTH_DEPTH(2)
        PLINTH_DEPTH(3)
        PLINTH_DEPTH(4)
        PLINTH_DEPTH(5)
        PLINTH_DEPTH(6)
        PLINTH_DEPTH(7)
        PLINTH_DEPTH(8)
#undef PLINTH_DEPTH
    }
  }
}

static_assert(kMaxPerfectDepth == 8, "walk_all has a case per depth");

}  // namespace

void walk_perfect_avx512(const PerfectTrees& trees, const float* cols, size_t num_features,
                         size_t rows, bool missing, float* margin) {
  // Up to eight features a chain of masked loads beats a 16-way gather.
  if (num_features <= 8 && missing)
    walk_all<true, true>(trees, cols, num_features, rows, margin);
  else if (num_features <= 8)
    walk_all<true, false>(trees, cols, num_features, rows, margin);
  else if (missing)
    walk_all<false, true>(trees, cols, num_features, rows, margin);
  else
    walk_all<false, false>(trees, cols, num_features, rows, margin);
}

}  // namespace plinth::model::simd
