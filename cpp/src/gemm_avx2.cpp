// The AVX2 + FMA kernels: gemm_impl.hpp over 256-bit vectors. Compiled with -mavx2 -mfma and run
// only when the CPU reports both (see simd.cpp).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "gemm.hpp"

namespace densenn::detail::avx2 {
namespace {

#include "gemm_impl.hpp"

// Masks with the first n of 8 (or 4) lanes set, for maskload / maskstore.
alignas(32) const std::int32_t kMask32[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
alignas(32) const std::int64_t kMask64[8] = {-1, -1, -1, -1, 0, 0, 0, 0};

// 8 floats; the register tile is 6 rows x 2 vectors (12 accumulators of the 16 registers).
struct F32x8 {
  using T = float;
  using reg = __m256;
  static constexpr int W = 8, MR = 6, NV = 2;
  static constexpr index_t KC = 256, MC = 240, NC = 512;
  static reg zero() { return _mm256_setzero_ps(); }
  static reg set1(T v) { return _mm256_set1_ps(v); }
  static reg load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, reg v) { _mm256_storeu_ps(p, v); }
  static __m256i mask(int n) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMask32 + 8 - n)); }
  static reg load_n(const T* p, int n) { return _mm256_maskload_ps(p, mask(n)); }
  static void store_n(T* p, reg v, int n) { _mm256_maskstore_ps(p, mask(n), v); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  // maxps returns its second operand unless the first is greater: NaN and -0 pass through.
  static reg relu(reg v) { return _mm256_max_ps(_mm256_setzero_ps(), v); }

  // dst[c * dst_ld + r] = src[r * src_ld + c] for c < 8, r < lanes (rows >= `rows` read as 0).
  static void transpose(const T* src, index_t src_ld, int rows, T* dst, index_t dst_ld, int lanes) {
    reg r[8];
    for (int q = 0; q < 8; ++q) r[q] = q < rows ? load(src + q * src_ld) : zero();
    // 4 x 4 transposes inside each 128-bit half, then the halves exchanged.
    reg t[8], u[8];
    for (int g = 0; g < 2; ++g) {
      const reg* a = r + 4 * g;
      t[4 * g + 0] = _mm256_unpacklo_ps(a[0], a[1]);
      t[4 * g + 1] = _mm256_unpackhi_ps(a[0], a[1]);
      t[4 * g + 2] = _mm256_unpacklo_ps(a[2], a[3]);
      t[4 * g + 3] = _mm256_unpackhi_ps(a[2], a[3]);
      const reg* s = t + 4 * g;
      u[4 * g + 0] = _mm256_shuffle_ps(s[0], s[2], 0x44);  // column 0 of the half (and 4)
      u[4 * g + 1] = _mm256_shuffle_ps(s[0], s[2], 0xEE);  // column 1
      u[4 * g + 2] = _mm256_shuffle_ps(s[1], s[3], 0x44);  // column 2
      u[4 * g + 3] = _mm256_shuffle_ps(s[1], s[3], 0xEE);  // column 3
    }
    for (int e = 0; e < 4; ++e) {
      const reg lo = _mm256_permute2f128_ps(u[e], u[4 + e], 0x20);  // column e
      const reg hi = _mm256_permute2f128_ps(u[e], u[4 + e], 0x31);  // column 4 + e
      if (lanes == 8) {
        store(dst + e * dst_ld, lo);
        store(dst + (4 + e) * dst_ld, hi);
      } else {
        store_n(dst + e * dst_ld, lo, lanes);
        store_n(dst + (4 + e) * dst_ld, hi, lanes);
      }
    }
  }

  // The 8 lane sums of acc[0..7], in order: halves added, then elements 0 + 2 and 1 + 3, then
  // those two; a blend and one shuffle put two accumulators' partial sums in one register.
  // The tree leaves slot s's sum in lane 4 (s % 2) + s / 2: slot s is fed that lane's accumulator.
  static reg reduce(const reg* acc) {
    constexpr int lane_of_slot[8] = {0, 4, 1, 5, 2, 6, 3, 7};
    reg s1[4], s2[2];
    for (int p = 0; p < 4; ++p) {  // [a.lo + a.hi | b.hi + b.lo]
      const reg a = acc[lane_of_slot[2 * p]], b = acc[lane_of_slot[2 * p + 1]];
      s1[p] = _mm256_add_ps(_mm256_blend_ps(a, b, 0xF0), _mm256_permute2f128_ps(a, b, 0x21));
    }
    for (int q = 0; q < 2; ++q)  // elements 0 + 2 and 1 + 3 of each half
      s2[q] = _mm256_add_ps(_mm256_blend_ps(s1[2 * q], s1[2 * q + 1], 0xCC),
                            _mm256_shuffle_ps(s1[2 * q], s1[2 * q + 1], 0x4E));
    return _mm256_add_ps(_mm256_shuffle_ps(s2[0], s2[1], 0x88), _mm256_shuffle_ps(s2[0], s2[1], 0xDD));
  }
  static T sum(reg v) {  // as reduce: halves, then elements 0 + 2 and 1 + 3, then those two
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 t = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 0x1)));
  }
};

// 4 doubles; the register tile is 6 rows x 2 vectors.
struct F64x4 {
  using T = double;
  using reg = __m256d;
  static constexpr int W = 4, MR = 6, NV = 2;
  static constexpr index_t KC = 256, MC = 240, NC = 256;
  static reg zero() { return _mm256_setzero_pd(); }
  static reg set1(T v) { return _mm256_set1_pd(v); }
  static reg load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, reg v) { _mm256_storeu_pd(p, v); }
  static __m256i mask(int n) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMask64 + 4 - n)); }
  static reg load_n(const T* p, int n) { return _mm256_maskload_pd(p, mask(n)); }
  static void store_n(T* p, reg v, int n) { _mm256_maskstore_pd(p, mask(n), v); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_pd(a, b, c); }
  static reg add(reg a, reg b) { return _mm256_add_pd(a, b); }
  static reg relu(reg v) { return _mm256_max_pd(_mm256_setzero_pd(), v); }

  static void transpose(const T* src, index_t src_ld, int rows, T* dst, index_t dst_ld, int lanes) {
    reg r[4];
    for (int q = 0; q < 4; ++q) r[q] = q < rows ? load(src + q * src_ld) : zero();
    const reg t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
    const reg t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
    const reg col[4] = {_mm256_permute2f128_pd(t0, t2, 0x20), _mm256_permute2f128_pd(t1, t3, 0x20),
                        _mm256_permute2f128_pd(t0, t2, 0x31), _mm256_permute2f128_pd(t1, t3, 0x31)};
    for (int c = 0; c < 4; ++c) {
      if (lanes == 4)
        store(dst + c * dst_ld, col[c]);
      else
        store_n(dst + c * dst_ld, col[c], lanes);
    }
  }

  static reg reduce(const reg* acc) {  // slots 0, 1, 2, 3 end in lanes 0, 2, 1, 3
    const reg s0 = _mm256_add_pd(_mm256_blend_pd(acc[0], acc[2], 0xC), _mm256_permute2f128_pd(acc[0], acc[2], 0x21));
    const reg s1 = _mm256_add_pd(_mm256_blend_pd(acc[1], acc[3], 0xC), _mm256_permute2f128_pd(acc[1], acc[3], 0x21));
    return _mm256_add_pd(_mm256_shuffle_pd(s0, s1, 0x0), _mm256_shuffle_pd(s0, s1, 0xF));
  }
  static T sum(reg v) {  // as reduce: halves, then the two elements
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  }
};

}  // namespace

const IsaKernels<float> kernels_float = make_kernels<F32x8>();
const IsaKernels<double> kernels_double = make_kernels<F64x4>();

}  // namespace densenn::detail::avx2
