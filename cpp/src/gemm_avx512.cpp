// The AVX-512 kernels: gemm_impl.hpp over 512-bit vectors. Compiled with -mavx512f -mfma and run
// only when the CPU reports AVX-512F (see simd.cpp). Uses AVX-512F instructions only.
// GCC 12's AVX-512 headers trip its own uninitialised-variable warnings (_mm512_undefined_*).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "gemm.hpp"

namespace densenn::detail::avx512 {
namespace {

#include "gemm_impl.hpp"

// 16 floats; the register tile is 12 rows x 2 vectors (24 accumulators of the 32 registers).
struct F32x16 {
  using T = float;
  using reg = __m512;
  static constexpr int W = 16, MR = 12, NV = 2;
  static constexpr index_t KC = 256, MC = 240, NC = 512;
  static reg zero() { return _mm512_setzero_ps(); }
  static reg set1(T v) { return _mm512_set1_ps(v); }
  static reg load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, reg v) { _mm512_storeu_ps(p, v); }
  static __mmask16 mask(int n) { return __mmask16((1u << n) - 1u); }
  static reg load_n(const T* p, int n) { return _mm512_maskz_loadu_ps(mask(n), p); }
  static void store_n(T* p, reg v, int n) { _mm512_mask_storeu_ps(p, mask(n), v); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  // maxps returns its second operand unless the first is greater: NaN and -0 pass through.
  static reg relu(reg v) { return _mm512_max_ps(_mm512_setzero_ps(), v); }

  // dst[c * dst_ld + r] = src[r * src_ld + c] for c < 16, r < lanes (rows >= `rows` read as 0).
  static void transpose(const T* src, index_t src_ld, int rows, T* dst, index_t dst_ld, int lanes) {
    reg r[16];
    for (int q = 0; q < 16; ++q) r[q] = q < rows ? load(src + q * src_ld) : zero();
    // 4 x 4 transposes inside each 128-bit lane, for each group of 4 rows: u[4 g + e] holds, in
    // lane L, column 4 L + e of rows 4 g .. 4 g + 3.
    reg u[16];
    for (int g = 0; g < 4; ++g) {
      const reg* a = r + 4 * g;
      const reg t0 = _mm512_unpacklo_ps(a[0], a[1]), t1 = _mm512_unpackhi_ps(a[0], a[1]);
      const reg t2 = _mm512_unpacklo_ps(a[2], a[3]), t3 = _mm512_unpackhi_ps(a[2], a[3]);
      u[4 * g + 0] = _mm512_shuffle_ps(t0, t2, 0x44);
      u[4 * g + 1] = _mm512_shuffle_ps(t0, t2, 0xEE);
      u[4 * g + 2] = _mm512_shuffle_ps(t1, t3, 0x44);
      u[4 * g + 3] = _mm512_shuffle_ps(t1, t3, 0xEE);
    }
    // Then a 4 x 4 transpose of the 128-bit lanes: column 4 L + e gathers lane L of u[4 g + e].
    for (int e = 0; e < 4; ++e) {
      const reg v0 = _mm512_shuffle_f32x4(u[e], u[4 + e], 0x44), v1 = _mm512_shuffle_f32x4(u[e], u[4 + e], 0xEE);
      const reg v2 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0x44);
      const reg v3 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0xEE);
      const reg col[4] = {_mm512_shuffle_f32x4(v0, v2, 0x88), _mm512_shuffle_f32x4(v0, v2, 0xDD),
                          _mm512_shuffle_f32x4(v1, v3, 0x88), _mm512_shuffle_f32x4(v1, v3, 0xDD)};
      for (int L = 0; L < 4; ++L) {
        if (lanes == 16)
          store(dst + (4 * L + e) * dst_ld, col[L]);
        else
          store_n(dst + (4 * L + e) * dst_ld, col[L], lanes);
      }
    }
  }

  // The 16 lane sums of acc[0..15], in order. Each level halves the partial sums of every
  // accumulator (256-bit halves, then 128-bit quarters, then elements 0 + 2 and 1 + 3, then those
  // two), packing two accumulators into one register with a blend and one shuffle.
  // The tree leaves slot s's sum in lane 4 (s % 4, with 1 and 2 swapped) + (s / 4, with 1 and 2
  // swapped); slot s is therefore fed the accumulator of that lane, and no final permute is needed.
  static reg reduce(const reg* acc) {
    constexpr int lane_of_slot[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
    reg s1[8], s2[4], s3[2];
    for (int p = 0; p < 8; ++p) {  // [a.l0 + a.l2, a.l1 + a.l3, b.l2 + b.l0, b.l3 + b.l1]
      const reg a = acc[lane_of_slot[2 * p]], b = acc[lane_of_slot[2 * p + 1]];
      s1[p] = _mm512_add_ps(_mm512_mask_blend_ps(0xFF00, a, b), _mm512_shuffle_f32x4(a, b, 0x4E));
    }
    const __m512i swap_lanes = _mm512_setr_epi32(4, 5, 6, 7, 16, 17, 18, 19, 12, 13, 14, 15, 24, 25, 26, 27);
    for (int q = 0; q < 4; ++q) {  // 128-bit lane L: the 4 partial sums of one accumulator
      const reg a = s1[2 * q], b = s1[2 * q + 1];
      s2[q] = _mm512_add_ps(_mm512_mask_blend_ps(0xF0F0, a, b), _mm512_permutex2var_ps(a, swap_lanes, b));
    }
    for (int t = 0; t < 2; ++t) {  // elements 0 + 2 and 1 + 3 inside each lane
      const reg a = s2[2 * t], b = s2[2 * t + 1];
      s3[t] = _mm512_add_ps(_mm512_mask_blend_ps(0xCCCC, a, b), _mm512_shuffle_ps(a, b, 0x4E));
    }
    const __m512i swap_pairs = _mm512_setr_epi32(1, 16, 3, 18, 5, 20, 7, 22, 9, 24, 11, 26, 13, 28, 15, 30);
    return _mm512_add_ps(_mm512_mask_blend_ps(0xAAAA, s3[0], s3[1]), _mm512_permutex2var_ps(s3[0], swap_pairs, s3[1]));
  }
  static T sum(reg v) {  // as reduce: 256-bit halves, quarters, elements 0 + 2 and 1 + 3, those two
    const reg h = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0x4E));
    const __m128 q = _mm_add_ps(_mm512_castps512_ps128(h), _mm512_extractf32x4_ps(h, 1));
    const __m128 t = _mm_add_ps(q, _mm_movehl_ps(q, q));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 0x1)));
  }
};

// 8 doubles; the register tile is 12 rows x 2 vectors.
struct F64x8 {
  using T = double;
  using reg = __m512d;
  static constexpr int W = 8, MR = 12, NV = 2;
  static constexpr index_t KC = 256, MC = 240, NC = 256;
  static reg zero() { return _mm512_setzero_pd(); }
  static reg set1(T v) { return _mm512_set1_pd(v); }
  static reg load(const T* p) { return _mm512_loadu_pd(p); }
  static void store(T* p, reg v) { _mm512_storeu_pd(p, v); }
  static __mmask8 mask(int n) { return __mmask8((1u << n) - 1u); }
  static reg load_n(const T* p, int n) { return _mm512_maskz_loadu_pd(mask(n), p); }
  static void store_n(T* p, reg v, int n) { _mm512_mask_storeu_pd(p, mask(n), v); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_pd(a, b, c); }
  static reg add(reg a, reg b) { return _mm512_add_pd(a, b); }
  static reg relu(reg v) { return _mm512_max_pd(_mm512_setzero_pd(), v); }

  static void transpose(const T* src, index_t src_ld, int rows, T* dst, index_t dst_ld, int lanes) {
    reg r[8];
    for (int q = 0; q < 8; ++q) r[q] = q < rows ? load(src + q * src_ld) : zero();
    // x[2 p + e] holds, in 128-bit lane L, column 2 L + e of rows 2 p and 2 p + 1.
    reg x[8];
    for (int p = 0; p < 4; ++p) {
      x[2 * p] = _mm512_unpacklo_pd(r[2 * p], r[2 * p + 1]);
      x[2 * p + 1] = _mm512_unpackhi_pd(r[2 * p], r[2 * p + 1]);
    }
    for (int e = 0; e < 2; ++e) {
      const reg v0 = _mm512_shuffle_f64x2(x[e], x[2 + e], 0x44), v1 = _mm512_shuffle_f64x2(x[e], x[2 + e], 0xEE);
      const reg v2 = _mm512_shuffle_f64x2(x[4 + e], x[6 + e], 0x44);
      const reg v3 = _mm512_shuffle_f64x2(x[4 + e], x[6 + e], 0xEE);
      const reg col[4] = {_mm512_shuffle_f64x2(v0, v2, 0x88), _mm512_shuffle_f64x2(v0, v2, 0xDD),
                          _mm512_shuffle_f64x2(v1, v3, 0x88), _mm512_shuffle_f64x2(v1, v3, 0xDD)};
      for (int L = 0; L < 4; ++L) {
        if (lanes == 8)
          store(dst + (2 * L + e) * dst_ld, col[L]);
        else
          store_n(dst + (2 * L + e) * dst_ld, col[L], lanes);
      }
    }
  }

  static reg reduce(const reg* acc) {  // as for floats: slot s ends in lane 2 (s % 4, 1 and 2 swapped) + s / 4
    constexpr int lane_of_slot[8] = {0, 4, 2, 6, 1, 5, 3, 7};
    reg s1[4], s2[2];
    for (int p = 0; p < 4; ++p) {
      const reg a = acc[lane_of_slot[2 * p]], b = acc[lane_of_slot[2 * p + 1]];
      s1[p] = _mm512_add_pd(_mm512_mask_blend_pd(0xF0, a, b), _mm512_shuffle_f64x2(a, b, 0x4E));
    }
    const __m512i swap_lanes = _mm512_setr_epi64(2, 3, 8, 9, 6, 7, 12, 13);
    for (int q = 0; q < 2; ++q) {
      const reg a = s1[2 * q], b = s1[2 * q + 1];
      s2[q] = _mm512_add_pd(_mm512_mask_blend_pd(0xCC, a, b), _mm512_permutex2var_pd(a, swap_lanes, b));
    }
    return _mm512_add_pd(_mm512_mask_blend_pd(0xAA, s2[0], s2[1]), _mm512_shuffle_pd(s2[0], s2[1], 0x55));
  }
  static T sum(reg v) {  // as reduce: 256-bit halves, quarters, then the two elements
    const reg h = _mm512_add_pd(v, _mm512_shuffle_f64x2(v, v, 0x4E));
    const __m128d q = _mm_add_pd(_mm512_castpd512_pd128(h), _mm_castps_pd(_mm512_extractf32x4_ps(_mm512_castpd_ps(h), 1)));
    return _mm_cvtsd_f64(_mm_add_sd(q, _mm_unpackhi_pd(q, q)));
  }
};

}  // namespace

const IsaKernels<float> kernels_float = make_kernels<F32x16>();
const IsaKernels<double> kernels_double = make_kernels<F64x8>();

}  // namespace densenn::detail::avx512
