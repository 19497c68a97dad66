// The interface between the dense kernels (kernels.cpp) and their per-instruction-set versions.
//
// gemm_scalar.cpp, gemm_avx2.cpp and gemm_avx512.cpp each compile gemm_impl.hpp with their own
// flags and export one IsaKernels table per type; kernels.cpp picks a table at run time. This
// header holds plain data and declarations only, so that nothing compiled with -mavx512f can be
// shared with (and run by) code meant for another CPU.
#pragma once

#include <cstddef>

namespace densenn::detail {

// C (m, n) = A (m, k) B (k, n), then C += bias (one value per column) and C = max(C, 0) when asked.
//   A(i, kk) = a[i * a_rs + kk * a_cs]     (a_cs == 1: rows of A contiguous; a_rs == 1: columns)
//   B(kk, j) = b[kk * b_rs + j * b_cs]     (b_cs == 1: rows of B contiguous; b_rs == 1: columns)
//   C(i, j)  = c[i * ldc + j]
// Every element of C is summed over k in blocks of the instruction set's KC: each block's sum
// runs sequentially from 0 (with fused multiply-adds where the instruction set has them), and the
// block sums are added in order, then + bias. The rounding error grows with KC + k / KC rather
// than k (as in BLAS), and the bits are the same for any split of C between threads.
template <typename T>
struct GemmProblem {
  T* c;
  std::ptrdiff_t ldc;
  const T* a;
  std::ptrdiff_t a_rs, a_cs;
  const T* b;
  std::ptrdiff_t b_rs, b_cs;
  std::ptrdiff_t m, n, k;
  const T* bias;  // (n) or null
  bool relu;
};

// One layer of a stack of dense layers: Y = X W^T + b, then max(Y, 0) if relu, where X is the
// previous layer's Y. Y (rows, out), W (out, in), b (out) or null.
template <typename T>
struct DenseStep {
  T* y;
  const T* w;
  const T* b;
  std::ptrdiff_t in, out;
  bool relu;
};

// One instruction set's kernels for one type.
template <typename T>
struct IsaKernels {
  int mr, nr;                  // register tile of C: mr rows by nr columns
  std::ptrdiff_t kc, mc, nc;   // cache blocks (see gemm_impl.hpp)
  int lanes;                   // SIMD width in T: dot_forward's unit of output columns
  // C[i0:i1, j0:j1] of the problem over all of k. `work` is a 64-byte aligned buffer of at least
  // min(kc, k) * (min(nc, j1 - j0 + nr - 1) + min(mc, i1 - i0 + mr - 1)) values. `apacked`, when
  // not null, holds all of A as pack_a_all leaves it (then i0 == 0), and A is not packed again.
  void (*gemm)(const GemmProblem<T>& p, std::ptrdiff_t i0, std::ptrdiff_t i1, std::ptrdiff_t j0, std::ptrdiff_t j1,
               T* work, const T* apacked);
  // Rows [i0, i1) of A (i0 a multiple of mr), every k block, packed into dst, which holds
  // (m rounded up to mr) * k values: what gemm's `apacked` reads.
  void (*pack_a_all)(const GemmProblem<T>& p, T* dst, std::ptrdiff_t i0, std::ptrdiff_t i1);
  // The same product for a few rows of C when the rows of B are contiguous (b_cs == 1), without
  // packing: C[i, j0:j1] for i < m, each element summed as gemm sums it (the same bits).
  void (*gemm_rows)(const GemmProblem<T>& p, std::ptrdiff_t j0, std::ptrdiff_t j1);
  // p[k] -= lr * g[k] for k < n.
  void (*sgd)(T* p, const T* g, T lr, std::ptrdiff_t n);
  // The forward pass for a few rows, without packing: Y[r, j0:j1] = X[r] W[j0:j1]^T + b[j0:j1]
  // (then max(., 0) if relu) for r < batch; X (batch, in), W (out, in), Y (batch, out).
  void (*dot_forward)(T* y, const T* x, const T* w, const T* b, std::ptrdiff_t batch, std::ptrdiff_t in,
                      std::ptrdiff_t out, std::ptrdiff_t j0, std::ptrdiff_t j1, bool relu);
  // dot_forward through a whole stack in one call (the first X is x): a small network's latency
  // is mostly calls between layers.
  void (*dot_forward_stack)(const DenseStep<T>* steps, int count, const T* x, std::ptrdiff_t batch);
  // One row through a transposed weight matrix: y[j] = sum_i x[i] wt[i * ld + j] + b[j] (then
  // max(., 0) if relu) for j < out; b may be null. Each row of wt must be readable (zero-padded)
  // up to out rounded up to `lanes`; rows 64-byte aligned run fastest.
  void (*forward_row_t)(T* y, const T* x, const T* wt, std::ptrdiff_t ld, const T* b, std::ptrdiff_t in,
                        std::ptrdiff_t out, bool relu);
};

namespace scalar {
extern const IsaKernels<float> kernels_float;
extern const IsaKernels<double> kernels_double;
}  // namespace scalar

#if defined(DENSENN_X86_DISPATCH)
namespace avx2 {
extern const IsaKernels<float> kernels_float;
extern const IsaKernels<double> kernels_double;
}  // namespace avx2
namespace avx512 {
extern const IsaKernels<float> kernels_float;
extern const IsaKernels<double> kernels_double;
}  // namespace avx512
#endif

}  // namespace densenn::detail
