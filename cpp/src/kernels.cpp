// The kernels declared in densenn/kernels.hpp: each next to the formula it computes.
#include "densenn/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "gemm.hpp"
#include "kernels_internal.hpp"
#include "parallel.hpp"
#include "simd.hpp"

namespace densenn {

// ---- dense layer ------------------------------------------------------------------------------
// The three products of a dense layer are one blocked matrix product (gemm_impl.hpp) reading its
// operands with different strides; the instruction set is chosen at run time (simd.cpp). The plain
// loops they must agree with are in kernels_naive.cpp.

namespace {

template <typename T>
const detail::IsaKernels<T>& isa();

template <>
const detail::IsaKernels<float>& isa<float>() {
  switch (detail::simd_level()) {
#if defined(DENSENN_X86_DISPATCH)
    case detail::SimdLevel::avx512:
      return detail::avx512::kernels_float;
    case detail::SimdLevel::avx2:
      return detail::avx2::kernels_float;
#endif
    default:
      return detail::scalar::kernels_float;
  }
}

template <>
const detail::IsaKernels<double>& isa<double>() {
  switch (detail::simd_level()) {
#if defined(DENSENN_X86_DISPATCH)
    case detail::SimdLevel::avx512:
      return detail::avx512::kernels_double;
    case detail::SimdLevel::avx2:
      return detail::avx2::kernels_double;
#endif
    default:
      return detail::scalar::kernels_double;
  }
}

// This thread's packing buffer (see thread_scratch: 1 MiB holds the largest block any instruction
// set packs, KC x (NC + MC) values, so it never grows whichever chunk this thread takes next).
template <typename T>
T* workspace(index_t elements) {
  return static_cast<T*>(detail::thread_scratch(static_cast<std::size_t>(elements) * sizeof(T)));
}

// Packing space for C[i0:i1, j0:j1]: KC x (NC + MC) at most, less for a smaller problem; the
// rounded-up sizes are bounded without a division, which costs as much as a small layer.
template <typename T>
T* gemm_workspace(const detail::IsaKernels<T>& kernels, index_t rows, index_t cols, index_t k) {
  const index_t kc = std::min(kernels.kc, k);
  return workspace<T>(kc * (std::min(kernels.nc, cols + kernels.nr - 1) + std::min(kernels.mc, rows + kernels.mr - 1)));
}

// A product big enough for the threads packs all of A once when it takes at most this much room
// (A of 2048 x 1024 floats); the calling thread keeps the buffer for its next products.
constexpr std::size_t kSharedPackBytes = std::size_t(8) << 20;

// Packing one value of A costs about this many multiply-adds (what parallel_for weighs work in).
constexpr double kPackCost = 4.0;

// Up to this many rows of C, a product whose B has contiguous rows reads them in place.
constexpr index_t kDirectRows = 2;

// Up to this many rows the forward pass reads W in place (dot products along its rows) instead of
// packing it: packing W costs as much as a product with one or two rows.
constexpr index_t kDotRows = 2;

// C = A B (+ bias, relu) over the threads: each takes whole panels of C's columns (or rows, when
// there are more of those), so no sum is ever split and the bits do not depend on the split.
template <typename T>
void gemm(const detail::GemmProblem<T>& p) {
  if (p.m <= 0 || p.n <= 0) return;
  const detail::IsaKernels<T>& kernels = isa<T>();
  if (p.k == 0) return kernels.gemm(p, 0, p.m, 0, p.n, nullptr, nullptr);  // C = bias (relu): A and B, maybe null, unread
  const double work = double(p.m) * double(p.n) * double(p.k);
  if (p.m <= kDirectRows && p.b_cs == 1) {  // a few rows: B read in place, columns split
    const index_t unit = 4 * kernels.lanes;  // gemm_rows' block of columns
    if (work < 2 * detail::kMinWorkPerThread) return kernels.gemm_rows(p, 0, p.n);
    return detail::parallel_for((p.n + unit - 1) / unit, work, [&](index_t first, index_t last) {
      kernels.gemm_rows(p, first * unit, std::min(p.n, last * unit));
    });
  }
  if (work < 2 * detail::kMinWorkPerThread)  // one thread: no split to work out
    return kernels.gemm(p, 0, p.m, 0, p.n, gemm_workspace(kernels, p.m, p.n, p.k), nullptr);
  const index_t row_panels = (p.m + kernels.mr - 1) / kernels.mr, col_panels = (p.n + kernels.nr - 1) / kernels.nr;
  const std::size_t apacked_size = std::size_t(row_panels * kernels.mr) * std::size_t(p.k);
  if (apacked_size <= kSharedPackBytes / sizeof(T)) {
    // All of A packed once, the threads sharing it (each column block would pack it again), then
    // C's columns split between them, each packing only its own part of B.
    T* apacked = static_cast<T*>(detail::thread_shared_scratch(apacked_size * sizeof(T)));
    detail::parallel_for(row_panels, kPackCost * double(p.m) * double(p.k), [&](index_t first, index_t last) {
      kernels.pack_a_all(p, apacked, first * kernels.mr, std::min(p.m, last * kernels.mr));
    });
    detail::parallel_for(col_panels, work, [&](index_t first, index_t last) {
      const index_t j0 = first * kernels.nr, j1 = std::min(p.n, last * kernels.nr);
      kernels.gemm(p, 0, p.m, j0, j1, gemm_workspace(kernels, p.m, j1 - j0, p.k), apacked);
    });
    return;
  }
  const bool by_cols = col_panels >= row_panels;
  detail::parallel_for(by_cols ? col_panels : row_panels, work, [&](index_t first, index_t last) {
    index_t i0 = 0, i1 = p.m, j0 = 0, j1 = p.n;
    if (by_cols) {
      j0 = first * kernels.nr;
      j1 = std::min(p.n, last * kernels.nr);
    } else {
      i0 = first * kernels.mr;
      i1 = std::min(p.m, last * kernels.mr);
    }
    kernels.gemm(p, i0, i1, j0, j1, gemm_workspace(kernels, i1 - i0, j1 - j0, p.k), nullptr);
  });
}

}  // namespace

namespace detail {

// Y = X W^T + b as C = A B with A = X (rows contiguous) and B = W^T (columns contiguous).
template <typename T>
void dense_forward_act(T* y, const T* x, const T* w, const T* b, index_t batch, index_t in, index_t out, bool relu) {
  if (batch <= 0 || out <= 0) return;
  if (batch <= kDotRows) {
    const IsaKernels<T>& kernels = isa<T>();
    const double work = double(batch) * double(in) * double(out);
    if (work < 2 * kMinWorkPerThread) return kernels.dot_forward(y, x, w, b, batch, in, out, 0, out, relu);
    const index_t lanes = kernels.lanes;
    parallel_for((out + lanes - 1) / lanes, work, [&](index_t first, index_t last) {
      kernels.dot_forward(y, x, w, b, batch, in, out, first * lanes, std::min(out, last * lanes), relu);
    });
    return;
  }
  gemm<T>({y, out, x, in, 1, w, 1, in, batch, out, in, b, relu});
}

template <typename T>
bool dense_forward_stack(const DenseStep<T>* steps, int count, const T* x, index_t batch) {
  if (batch > kDotRows) return false;
  for (int s = 0; s < count; ++s)
    if (double(batch) * double(steps[s].in) * double(steps[s].out) >= 2 * kMinWorkPerThread) return false;
  if (batch > 0) isa<T>().dot_forward_stack(steps, count, x, batch);
  return true;
}

template <typename T>
void frozen_forward_row(const FrozenStep<T>* steps, int count, const T* x) {
  const IsaKernels<T>& kernels = isa<T>();
  for (int s = 0; s < count; ++s) {
    const FrozenStep<T>& step = steps[s];
    if (step.transposed)
      kernels.forward_row_t(step.y, x, step.w, step.ld, step.b, step.in, step.out, step.relu);
    else
      kernels.dot_forward(step.y, x, step.w, step.b, 1, step.in, step.out, 0, step.out, step.relu);
    x = step.y;
  }
}

template <typename T>
index_t frozen_lanes() {
  return isa<T>().lanes;
}

template void frozen_forward_row<float>(const FrozenStep<float>*, int, const float*);
template void frozen_forward_row<double>(const FrozenStep<double>*, int, const double*);
template index_t frozen_lanes<float>();
template index_t frozen_lanes<double>();
template bool dense_forward_stack<float>(const DenseStep<float>*, int, const float*, index_t);
template bool dense_forward_stack<double>(const DenseStep<double>*, int, const double*, index_t);

template void dense_forward_act<float>(float*, const float*, const float*, const float*, index_t, index_t, index_t,
                                       bool);
template void dense_forward_act<double>(double*, const double*, const double*, const double*, index_t, index_t,
                                        index_t, bool);

}  // namespace detail

template <typename T>
void dense_forward(T* y, const T* x, const T* w, const T* b, index_t batch, index_t in, index_t out) {
  detail::dense_forward_act(y, x, w, b, batch, in, out, false);
}

// dX = dY W: A = dY (rows contiguous), B = W (rows contiguous); sums run over the outputs j.
template <typename T>
void dense_backward_input(T* dx, const T* dy, const T* w, index_t batch, index_t in, index_t out) {
  gemm<T>({dx, in, dy, out, 1, w, in, 1, batch, in, out, nullptr, false});
}

// dW = dY^T X: A = dY^T (columns contiguous), B = X (rows contiguous); sums run over the batch.
template <typename T>
void dense_backward_weight(T* dw, const T* dy, const T* x, index_t batch, index_t in, index_t out) {
  gemm<T>({dw, in, dy, 1, out, x, in, 1, out, in, batch, nullptr, false});
}

// db[j] = sum_n dY[n, j], row after row so that the inner loop runs along contiguous memory. The
// rows are summed in groups of kRowGroup, the group sums then added up: the rounding error grows
// with kRowGroup + batch / kRowGroup instead of batch (a plain running sum over a batch of 4096 in
// float32 is 20 times further from the exact sum than PyTorch's). Threads take blocks of columns,
// each column summed in the same order whatever the split.
template <typename T>
void dense_backward_bias(T* db, const T* dy, index_t batch, index_t out) {
  constexpr index_t block = 256, kRowGroup = 64;
  detail::parallel_for((out + block - 1) / block, double(batch) * double(out), [&](index_t first, index_t last) {
    for (index_t j0 = first * block; j0 < std::min(out, last * block); j0 += block) {
      const index_t width = std::min(block, out - j0);
      T* total = db + j0;
      T group[block];
      std::fill(total, total + width, T(0));
      for (index_t n0 = 0; n0 < batch; n0 += kRowGroup) {
        std::fill(group, group + width, T(0));
        for (index_t n = n0; n < std::min(batch, n0 + kRowGroup); ++n) {
          const T* dyn = dy + n * out + j0;
          for (index_t j = 0; j < width; ++j) group[j] += dyn[j];
        }
        for (index_t j = 0; j < width; ++j) total[j] += group[j];
      }
    }
  });
}

namespace {

// Runs f(begin, end) over [0, n) in chunks of kChunk elements, on several threads when n is large:
// for elementwise loops, whose bits never depend on the split. Memory-bound loops cost about four
// multiply-adds of a product per element (what the pool's threshold counts); exp and tanh more.
constexpr index_t kChunk = 4096;
constexpr double kMemoryBound = 4.0, kTranscendental = 16.0;

template <typename F>
void elementwise(index_t n, double cost, const F& f) {
  detail::parallel_for((n + kChunk - 1) / kChunk, cost * double(n), [&](index_t first, index_t last) {
    F local = f;  // a copy no store can alias: its pointers stay in registers and the loop vectorizes
    local(first * kChunk, std::min(n, last * kChunk));
  });
}

}  // namespace

namespace detail {

template <typename T>
void copy(T* dst, const T* src, index_t n) {
  elementwise(n, kMemoryBound, [&](index_t begin, index_t end) { std::copy(src + begin, src + end, dst + begin); });
}

template void copy<float>(float*, const float*, index_t);
template void copy<double>(double*, const double*, index_t);

}  // namespace detail

template <typename T>
void sgd_update(T* p, const T* g, T lr, index_t n) {
  const detail::IsaKernels<T>& kernels = isa<T>();
  elementwise(n, kMemoryBound, [&](index_t begin, index_t end) { kernels.sgd(p + begin, g + begin, lr, end - begin); });
}

// ---- activations --------------------------------------------------------------------------------

template <typename T>
void relu_forward(T* y, const T* x, index_t n) {
  elementwise(n, kMemoryBound, [=](index_t begin, index_t end) {
    for (index_t k = begin; k < end; ++k) y[k] = x[k] < T(0) ? T(0) : x[k];  // NaN stays NaN, as in PyTorch
  });
}

template <typename T>
void relu_backward(T* dx, const T* dy, const T* x, index_t n) {
  elementwise(n, kMemoryBound, [=](index_t begin, index_t end) {
    for (index_t k = begin; k < end; ++k) {
      // dy passes unless x <= 0 (a NaN x passes it, as in PyTorch). dy is read whatever x is: a
      // select, not a branch the sign of x would mispredict.
      const T g = dy[k];
      dx[k] = x[k] <= T(0) ? T(0) : g;
    }
  });
}

template <typename T>
void leaky_relu_forward(T* y, const T* x, T slope, index_t n) {
  elementwise(n, kMemoryBound, [=](index_t begin, index_t end) {
    for (index_t k = begin; k < end; ++k) y[k] = x[k] > T(0) ? x[k] : slope * x[k];
  });
}

template <typename T>
void leaky_relu_backward(T* dx, const T* dy, const T* x, T slope, index_t n) {
  elementwise(n, kMemoryBound, [=](index_t begin, index_t end) {
    for (index_t k = begin; k < end; ++k) dx[k] = x[k] > T(0) ? dy[k] : slope * dy[k];
  });
}

// Written so that exp never overflows: for x < 0, sigmoid(x) = e^x / (1 + e^x).
template <typename T>
void sigmoid_forward(T* y, const T* x, index_t n) {
  elementwise(n, kTranscendental, [=](index_t begin, index_t end) {
    for (index_t k = begin; k < end; ++k) {
      if (x[k] >= T(0)) {
        y[k] = T(1) / (T(1) + std::exp(-x[k]));
      } else {
        const T e = std::exp(x[k]);
        y[k] = e / (T(1) + e);
      }
    }
  });
}

template <typename T>
void sigmoid_backward(T* dx, const T* dy, const T* y, index_t n) {
  elementwise(n, kMemoryBound, [=](index_t begin, index_t end) {
    for (index_t k = begin; k < end; ++k) dx[k] = dy[k] * y[k] * (T(1) - y[k]);
  });
}

template <typename T>
void tanh_forward(T* y, const T* x, index_t n) {
  elementwise(n, kTranscendental, [=](index_t begin, index_t end) {
    for (index_t k = begin; k < end; ++k) y[k] = std::tanh(x[k]);
  });
}

template <typename T>
void tanh_backward(T* dx, const T* dy, const T* y, index_t n) {
  elementwise(n, kMemoryBound, [=](index_t begin, index_t end) {
    for (index_t k = begin; k < end; ++k) dx[k] = dy[k] * (T(1) - y[k] * y[k]);
  });
}

// Subtracting the row maximum keeps exp in range; the result is unchanged mathematically.
template <typename T>
void softmax_forward(T* y, const T* x, index_t rows, index_t cols) {
  if (cols == 0) return;  // rows of nothing: nothing to normalise
  for (index_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    const T m = *std::max_element(xr, xr + cols);
    T sum = 0;
    for (index_t c = 0; c < cols; ++c) sum += (yr[c] = std::exp(xr[c] - m));
    for (index_t c = 0; c < cols; ++c) yr[c] /= sum;
  }
}

// The Jacobian of softmax is diag(y) - y y^T, so dx = y * (dy - <dy, y>).
template <typename T>
void softmax_backward(T* dx, const T* dy, const T* y, index_t rows, index_t cols) {
  for (index_t r = 0; r < rows; ++r) {
    const T* dyr = dy + r * cols;
    const T* yr = y + r * cols;
    T dot = 0;
    for (index_t c = 0; c < cols; ++c) dot += dyr[c] * yr[c];
    T* dxr = dx + r * cols;
    for (index_t c = 0; c < cols; ++c) dxr[c] = yr[c] * (dyr[c] - dot);
  }
}

// ---- losses -------------------------------------------------------------------------------------
// Sums accumulate in double: the loss is one number, and this keeps float32 results within
// rounding of the exact mean.

template <typename T>
T mse_loss_forward(const T* pred, const T* target, index_t n) {
  double sum[4] = {0, 0, 0, 0};  // four running sums (element k in sum[k % 4]): four times the speed
  index_t k = 0;
  for (; k + 4 <= n; k += 4) {
    for (int j = 0; j < 4; ++j) {
      const double d = double(pred[k + j]) - double(target[k + j]);
      sum[j] += d * d;
    }
  }
  for (; k < n; ++k) {
    const double d = double(pred[k]) - double(target[k]);
    sum[k % 4] += d * d;
  }
  return static_cast<T>(((sum[0] + sum[1]) + (sum[2] + sum[3])) / double(n));  // n == 0: NaN, the mean of nothing
}

template <typename T>
void mse_loss_backward(T* grad, const T* pred, const T* target, index_t n) {
  const T scale = T(2) / T(n);
  elementwise(n, kMemoryBound, [=](index_t begin, index_t end) {
    for (index_t k = begin; k < end; ++k) grad[k] = scale * (pred[k] - target[k]);
  });
}

// -log softmax(z)_c = (m - z_c) + log(sum exp(z - m)), with m the row maximum: stable for any z,
// and in this order (as torch's log_softmax) no digit of a small loss is lost to m's size.
// Writes softmax(z) into probs, sets m, and returns log(sum exp(z - m)).
template <typename T>
static double softmax_row(T* probs, const T* z, index_t cols, double& m) {
  const T max = *std::max_element(z, z + cols);
  double sum = 0;
  for (index_t c = 0; c < cols; ++c) sum += (probs[c] = std::exp(z[c] - max));
  for (index_t c = 0; c < cols; ++c) probs[c] = static_cast<T>(probs[c] / sum);
  m = double(max);
  return std::log(sum);
}

template <typename T>
T softmax_cross_entropy_forward(T* probs, const T* logits, const std::int64_t* labels, index_t rows, index_t cols) {
  double total = 0;
  for (index_t r = 0; r < rows; ++r) {
    const T* z = logits + r * cols;
    double m;
    const double log_sum = softmax_row(probs + r * cols, z, cols, m);
    total += (m - double(z[labels[r]])) + log_sum;
  }
  return static_cast<T>(total / double(rows));
}

template <typename T>
void softmax_cross_entropy_backward(T* grad, const T* probs, const std::int64_t* labels, index_t rows, index_t cols) {
  const T scale = T(1) / T(rows);
  for (index_t r = 0; r < rows; ++r) {
    for (index_t c = 0; c < cols; ++c) grad[r * cols + c] = scale * probs[r * cols + c];
    grad[r * cols + labels[r]] -= scale;
  }
}

template <typename T>
T softmax_cross_entropy_soft_forward(T* probs, const T* logits, const T* target, index_t rows, index_t cols) {
  double total = 0;
  for (index_t r = 0; r < rows; ++r) {
    const T* z = logits + r * cols;
    const T* t = target + r * cols;
    double m;
    const double log_sum = softmax_row(probs + r * cols, z, cols, m);
    for (index_t c = 0; c < cols; ++c) total += double(t[c]) * ((m - double(z[c])) + log_sum);
  }
  return static_cast<T>(total / double(rows));
}

template <typename T>
void softmax_cross_entropy_soft_backward(T* grad, const T* probs, const T* target, index_t rows, index_t cols) {
  const T scale = T(1) / T(rows);
  for (index_t r = 0; r < rows; ++r) {
    const T* t = target + r * cols;
    T t_sum = 0;
    for (index_t c = 0; c < cols; ++c) t_sum += t[c];
    for (index_t c = 0; c < cols; ++c) grad[r * cols + c] = scale * (probs[r * cols + c] * t_sum - t[c]);
  }
}

template <typename T>
T bce_with_logits_forward(const T* logits, const T* target, index_t n) {
  double total = 0;
  for (index_t k = 0; k < n; ++k) {
    const double z = logits[k], t = target[k];
    // torch's (1 - t) z - log sigmoid(z), log sigmoid(z) = min(z, 0) - log1p(exp(-|z|)): the same
    // inf and NaN at infinite logits (z = inf, t = 0 is inf; z = inf, t = 1 is NaN).
    total += (1.0 - t) * z - (std::min(z, 0.0) - std::log1p(std::exp(-std::abs(z))));
  }
  return static_cast<T>(total / double(n));
}

template <typename T>
void bce_with_logits_backward(T* grad, const T* logits, const T* target, index_t n) {
  const T scale = T(1) / T(n);
  for (index_t k = 0; k < n; ++k) {
    T s;
    sigmoid_forward(&s, &logits[k], 1);
    grad[k] = scale * (s - target[k]);
  }
}

// ---- instantiations -----------------------------------------------------------------------------
#define DENSENN_INSTANTIATE_KERNELS(T)                                                                  \
  template void dense_forward<T>(T*, const T*, const T*, const T*, index_t, index_t, index_t);          \
  template void dense_backward_input<T>(T*, const T*, const T*, index_t, index_t, index_t);             \
  template void dense_backward_weight<T>(T*, const T*, const T*, index_t, index_t, index_t);            \
  template void dense_backward_bias<T>(T*, const T*, index_t, index_t);                                 \
  template void sgd_update<T>(T*, const T*, T, index_t);                                                \
  template void relu_forward<T>(T*, const T*, index_t);                                                 \
  template void relu_backward<T>(T*, const T*, const T*, index_t);                                      \
  template void leaky_relu_forward<T>(T*, const T*, T, index_t);                                        \
  template void leaky_relu_backward<T>(T*, const T*, const T*, T, index_t);                             \
  template void sigmoid_forward<T>(T*, const T*, index_t);                                              \
  template void sigmoid_backward<T>(T*, const T*, const T*, index_t);                                   \
  template void tanh_forward<T>(T*, const T*, index_t);                                                 \
  template void tanh_backward<T>(T*, const T*, const T*, index_t);                                      \
  template void softmax_forward<T>(T*, const T*, index_t, index_t);                                     \
  template void softmax_backward<T>(T*, const T*, const T*, index_t, index_t);                          \
  template T mse_loss_forward<T>(const T*, const T*, index_t);                                          \
  template void mse_loss_backward<T>(T*, const T*, const T*, index_t);                                  \
  template T softmax_cross_entropy_forward<T>(T*, const T*, const std::int64_t*, index_t, index_t);     \
  template void softmax_cross_entropy_backward<T>(T*, const T*, const std::int64_t*, index_t, index_t); \
  template T softmax_cross_entropy_soft_forward<T>(T*, const T*, const T*, index_t, index_t);           \
  template void softmax_cross_entropy_soft_backward<T>(T*, const T*, const T*, index_t, index_t);       \
  template T bce_with_logits_forward<T>(const T*, const T*, index_t);                                   \
  template void bce_with_logits_backward<T>(T*, const T*, const T*, index_t);

DENSENN_INSTANTIATE_KERNELS(float)
DENSENN_INSTANTIATE_KERNELS(double)

}  // namespace densenn
