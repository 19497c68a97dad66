// The portable kernels: gemm_impl.hpp over plain scalars, for CPUs (and compilers) without AVX2.
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "gemm.hpp"

namespace densenn::detail::scalar {
namespace {

#include "gemm_impl.hpp"

// One "vector" of one value; a 4 x 4 register tile of scalars.
template <typename Scalar>
struct Vec1 {
  using T = Scalar;
  using reg = Scalar;
  static constexpr int W = 1, MR = 4, NV = 4;
  static constexpr index_t KC = 256, MC = 240, NC = sizeof(T) == 4 ? 512 : 256;
  static reg zero() { return T(0); }
  static reg set1(T v) { return v; }
  static reg load(const T* p) { return *p; }
  static void store(T* p, reg v) { *p = v; }
  static reg load_n(const T* p, int n) { return n > 0 ? *p : T(0); }
  static void store_n(T* p, reg v, int n) {
    if (n > 0) *p = v;
  }
  static reg fma(reg a, reg b, reg c) { return a * b + c; }
  static reg add(reg a, reg b) { return a + b; }
  static reg relu(reg v) { return v < T(0) ? T(0) : v; }
  static void transpose(const T* src, index_t, int rows, T* dst, index_t, int) { *dst = rows > 0 ? *src : T(0); }
  static reg reduce(const reg* acc) { return acc[0]; }
  static T sum(reg v) { return v; }
};

}  // namespace

const IsaKernels<float> kernels_float = make_kernels<Vec1<float>>();
const IsaKernels<double> kernels_double = make_kernels<Vec1<double>>();

}  // namespace densenn::detail::scalar
