// The kernels declared in densenn/kernels.hpp: plain loops, each next to the formula it computes.
#include "densenn/kernels.hpp"

#include <algorithm>
#include <cmath>

#include "parallel.hpp"

namespace densenn {

// ---- dense layer ------------------------------------------------------------------------------

// Y[n, j] = sum_i X[n, i] W[j, i] + b[j]: a dot product of a row of X with a row of W.
template <typename T>
void dense_forward(T* y, const T* x, const T* w, const T* b, index_t batch, index_t in, index_t out) {
  detail::parallel_for(batch, double(batch) * in * out, [=](index_t n0, index_t n1) {
    for (index_t n = n0; n < n1; ++n) {
      const T* xn = x + n * in;
      T* yn = y + n * out;
      for (index_t j = 0; j < out; ++j) {
        const T* wj = w + j * in;
        T acc = 0;
        for (index_t i = 0; i < in; ++i) acc += xn[i] * wj[i];
        yn[j] = b ? acc + b[j] : acc;
      }
    }
  });
}

// dX[n, :] = sum_j dY[n, j] W[j, :]: each row of dX is a combination of the rows of W.
template <typename T>
void dense_backward_input(T* dx, const T* dy, const T* w, index_t batch, index_t in, index_t out) {
  detail::parallel_for(batch, double(batch) * in * out, [=](index_t n0, index_t n1) {
    for (index_t n = n0; n < n1; ++n) {
      T* dxn = dx + n * in;
      const T* dyn = dy + n * out;
      std::fill(dxn, dxn + in, T(0));
      for (index_t j = 0; j < out; ++j) {
        const T g = dyn[j];
        const T* wj = w + j * in;
        for (index_t i = 0; i < in; ++i) dxn[i] += g * wj[i];
      }
    }
  });
}

// dW[j, :] = sum_n dY[n, j] X[n, :]: the batch sum of outer products dE/dy ⊗ x.
template <typename T>
void dense_backward_weight(T* dw, const T* dy, const T* x, index_t batch, index_t in, index_t out) {
  detail::parallel_for(out, double(batch) * in * out, [=](index_t j0, index_t j1) {
    for (index_t j = j0; j < j1; ++j) {
      T* dwj = dw + j * in;
      std::fill(dwj, dwj + in, T(0));
      for (index_t n = 0; n < batch; ++n) {
        const T g = dy[n * out + j];
        const T* xn = x + n * in;
        for (index_t i = 0; i < in; ++i) dwj[i] += g * xn[i];
      }
    }
  });
}

// db[j] = sum_n dY[n, j]
template <typename T>
void dense_backward_bias(T* db, const T* dy, index_t batch, index_t out) {
  std::fill(db, db + out, T(0));
  for (index_t n = 0; n < batch; ++n) {
    const T* dyn = dy + n * out;
    for (index_t j = 0; j < out; ++j) db[j] += dyn[j];
  }
}

template <typename T>
void sgd_update(T* p, const T* g, T lr, index_t n) {
  for (index_t k = 0; k < n; ++k) p[k] -= lr * g[k];
}

// ---- activations --------------------------------------------------------------------------------

template <typename T>
void relu_forward(T* y, const T* x, index_t n) {
  for (index_t k = 0; k < n; ++k) y[k] = x[k] < T(0) ? T(0) : x[k];  // NaN stays NaN, as in PyTorch
}

template <typename T>
void relu_backward(T* dx, const T* dy, const T* x, index_t n) {
  for (index_t k = 0; k < n; ++k) dx[k] = x[k] > T(0) ? dy[k] : T(0);
}

template <typename T>
void leaky_relu_forward(T* y, const T* x, T slope, index_t n) {
  for (index_t k = 0; k < n; ++k) y[k] = x[k] > T(0) ? x[k] : slope * x[k];
}

template <typename T>
void leaky_relu_backward(T* dx, const T* dy, const T* x, T slope, index_t n) {
  for (index_t k = 0; k < n; ++k) dx[k] = x[k] > T(0) ? dy[k] : slope * dy[k];
}

// Written so that exp never overflows: for x < 0, sigmoid(x) = e^x / (1 + e^x).
template <typename T>
void sigmoid_forward(T* y, const T* x, index_t n) {
  for (index_t k = 0; k < n; ++k) {
    if (x[k] >= T(0)) {
      y[k] = T(1) / (T(1) + std::exp(-x[k]));
    } else {
      const T e = std::exp(x[k]);
      y[k] = e / (T(1) + e);
    }
  }
}

template <typename T>
void sigmoid_backward(T* dx, const T* dy, const T* y, index_t n) {
  for (index_t k = 0; k < n; ++k) dx[k] = dy[k] * y[k] * (T(1) - y[k]);
}

template <typename T>
void tanh_forward(T* y, const T* x, index_t n) {
  for (index_t k = 0; k < n; ++k) y[k] = std::tanh(x[k]);
}

template <typename T>
void tanh_backward(T* dx, const T* dy, const T* y, index_t n) {
  for (index_t k = 0; k < n; ++k) dx[k] = dy[k] * (T(1) - y[k] * y[k]);
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
  double sum = 0;
  for (index_t k = 0; k < n; ++k) {
    const double d = double(pred[k]) - double(target[k]);
    sum += d * d;
  }
  return static_cast<T>(sum / double(n));  // n == 0 gives NaN, as the mean of nothing
}

template <typename T>
void mse_loss_backward(T* grad, const T* pred, const T* target, index_t n) {
  const T scale = T(2) / T(n);
  for (index_t k = 0; k < n; ++k) grad[k] = scale * (pred[k] - target[k]);
}

// log softmax(z)_c = z_c - m - log(sum exp(z - m)), with m the row maximum: stable for any z.
// Returns log(sum exp(z - m)) + m, the row's log-sum-exp, and writes softmax(z) into probs.
template <typename T>
static double softmax_row(T* probs, const T* z, index_t cols) {
  const T m = *std::max_element(z, z + cols);
  double sum = 0;
  for (index_t c = 0; c < cols; ++c) sum += (probs[c] = std::exp(z[c] - m));
  for (index_t c = 0; c < cols; ++c) probs[c] = static_cast<T>(probs[c] / sum);
  return std::log(sum) + double(m);
}

template <typename T>
T softmax_cross_entropy_forward(T* probs, const T* logits, const std::int64_t* labels, index_t rows, index_t cols) {
  double total = 0;
  for (index_t r = 0; r < rows; ++r) {
    const T* z = logits + r * cols;
    const double lse = softmax_row(probs + r * cols, z, cols);
    total += lse - double(z[labels[r]]);
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
    const double lse = softmax_row(probs + r * cols, z, cols);
    for (index_t c = 0; c < cols; ++c) total += double(t[c]) * (lse - double(z[c]));
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
    total += std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::abs(z)));
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
