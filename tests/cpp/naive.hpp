// The tests' oracle: every formula of densenn written out as textbook loops, in long double.
//
// Deliberately independent of the kernels: sums index by index in the order the formula reads,
// the softmax Jacobian applied as a matrix, BCE as -(t log s + (1-t) log(1-s)). Results are long
// double so that the kernel under test is the only thing that rounds.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace naive {

using Real = long double;
using Vec = std::vector<Real>;
using idx = std::ptrdiff_t;

// ---- dense layer: X (batch, in), W (out, in), b (out) or null, dY (batch, out) -------------------
template <typename T>
Vec dense_forward(const T* x, const T* w, const T* b, idx batch, idx in, idx out) {  // Y = X W^T + b
  Vec y(batch * out);
  for (idx n = 0; n < batch; ++n)
    for (idx j = 0; j < out; ++j) {
      y[n * out + j] = b ? Real(b[j]) : 0;
      for (idx i = 0; i < in; ++i) y[n * out + j] += Real(x[n * in + i]) * Real(w[j * in + i]);
    }
  return y;
}

template <typename T>
Vec dense_backward_input(const T* dy, const T* w, idx batch, idx in, idx out) {  // dX = dY W
  Vec dx(batch * in);
  for (idx n = 0; n < batch; ++n)
    for (idx i = 0; i < in; ++i)
      for (idx j = 0; j < out; ++j) dx[n * in + i] += Real(dy[n * out + j]) * Real(w[j * in + i]);
  return dx;
}

template <typename T>
Vec dense_backward_weight(const T* dy, const T* x, idx batch, idx in, idx out) {  // dW = dY^T X
  Vec dw(out * in);
  for (idx j = 0; j < out; ++j)
    for (idx i = 0; i < in; ++i)
      for (idx n = 0; n < batch; ++n) dw[j * in + i] += Real(dy[n * out + j]) * Real(x[n * in + i]);
  return dw;
}

template <typename T>
Vec dense_backward_bias(const T* dy, idx batch, idx out) {  // db = column sums of dY
  Vec db(out);
  for (idx j = 0; j < out; ++j)
    for (idx n = 0; n < batch; ++n) db[j] += Real(dy[n * out + j]);
  return db;
}

template <typename T>
Vec sgd(const T* p, const T* g, Real lr, idx n) {  // p - lr g
  Vec r(n);
  for (idx k = 0; k < n; ++k) r[k] = Real(p[k]) - lr * Real(g[k]);
  return r;
}

// ---- activations: f(x), and f'(x) taken at the input x (the kernels use the output y) ----------
inline Real relu(Real x) { return x > 0 ? x : 0; }
inline Real relu_grad(Real x) { return x <= 0 ? 0 : 1; }  // 1 at NaN, as PyTorch
inline Real leaky_relu(Real x, Real slope) { return x > 0 ? x : slope * x; }
inline Real leaky_relu_grad(Real x, Real slope) { return x > 0 ? 1 : slope; }
inline Real sigmoid(Real x) { return 1 / (1 + std::exp(-x)); }
inline Real sigmoid_grad(Real x) { return sigmoid(x) * (1 - sigmoid(x)); }
inline Real tanh_grad(Real x) { return 1 - std::tanh(x) * std::tanh(x); }

template <typename T, typename F>
Vec map(const T* x, idx n, F f) {  // y = f(x)
  Vec y(n);
  for (idx k = 0; k < n; ++k) y[k] = f(Real(x[k]));
  return y;
}

template <typename T, typename F>
Vec map_grad(const T* dy, const T* x, idx n, F f_grad) {  // dx = dy * f'(x)
  Vec dx(n);
  for (idx k = 0; k < n; ++k) dx[k] = Real(dy[k]) * f_grad(Real(x[k]));
  return dx;
}

// softmax(x)_c = exp(x_c) / sum_k exp(x_k) per row; subtracting the max only keeps exp finite.
template <typename T>
Vec softmax(const T* x, idx rows, idx cols) {
  Vec y(rows * cols);
  for (idx r = 0; r < rows; ++r) {
    Real m = x[r * cols], sum = 0;
    for (idx c = 0; c < cols; ++c) m = std::fmax(m, Real(x[r * cols + c]));
    for (idx c = 0; c < cols; ++c) sum += std::exp(Real(x[r * cols + c]) - m);
    for (idx c = 0; c < cols; ++c) y[r * cols + c] = std::exp(Real(x[r * cols + c]) - m) / sum;
  }
  return y;
}

// dx_i = sum_j dy_j J_ji, with the Jacobian J_ji = d y_j / d x_i = y_j (delta_ij - y_i).
template <typename T>
Vec softmax_backward(const T* dy, const T* x, idx rows, idx cols) {
  const Vec y = softmax(x, rows, cols);
  Vec dx(rows * cols);
  for (idx r = 0; r < rows; ++r)
    for (idx i = 0; i < cols; ++i)
      for (idx j = 0; j < cols; ++j)
        dx[r * cols + i] += Real(dy[r * cols + j]) * y[r * cols + j] * ((i == j ? 1 : 0) - y[r * cols + i]);
  return dx;
}

// ---- losses, mean reduction: each returns the loss and sets grad to dL/dpred --------------------
template <typename T>
Real mse(Vec& grad, const T* pred, const T* target, idx n) {  // mean (p - t)^2;  2 (p - t) / n
  Real sum = 0;
  grad.assign(n, 0);
  for (idx k = 0; k < n; ++k) {
    const Real d = Real(pred[k]) - Real(target[k]);
    sum += d * d;
    grad[k] = 2 * d / n;
  }
  return sum / n;
}

// L = -1/rows sum_r sum_c t_rc log p_rc, p = softmax(z);  dL/dz = (p sum_c t_rc - t) / rows.
template <typename T>
Real cross_entropy_soft(Vec& grad, const T* z, const T* t, idx rows, idx cols) {
  const Vec p = softmax(z, rows, cols);
  Real loss = 0;
  grad.assign(rows * cols, 0);
  for (idx r = 0; r < rows; ++r) {
    Real t_sum = 0;
    for (idx c = 0; c < cols; ++c) t_sum += Real(t[r * cols + c]);
    for (idx c = 0; c < cols; ++c) {
      const idx k = r * cols + c;
      if (t[k] != 0) loss -= Real(t[k]) * std::log(p[k]);  // 0 log 0 is 0 when p underflows
      grad[k] = (p[k] * t_sum - Real(t[k])) / rows;
    }
  }
  return loss / rows;
}

// Labels are the one-hot case of probability targets.
template <typename T>
Real cross_entropy(Vec& grad, const T* z, const std::int64_t* labels, idx rows, idx cols) {
  std::vector<T> onehot(rows * cols, T(0));
  for (idx r = 0; r < rows; ++r) onehot[r * cols + labels[r]] = T(1);
  return cross_entropy_soft(grad, z, onehot.data(), rows, cols);
}

// L = -mean(t log s + (1 - t) log(1 - s)), s = sigmoid(z);  dL/dz = (s - t) / n. 1 - s is
// written sigmoid(-z), which keeps long double's precision for |z| up to a few tens.
template <typename T>
Real bce_with_logits(Vec& grad, const T* z, const T* t, idx n) {
  Real loss = 0;
  grad.assign(n, 0);
  for (idx k = 0; k < n; ++k) {
    loss -= Real(t[k]) * std::log(sigmoid(z[k])) + (1 - Real(t[k])) * std::log(sigmoid(-Real(z[k])));
    grad[k] = (sigmoid(z[k]) - Real(t[k])) / n;
  }
  return loss / n;
}

// ---- test data: values uniform in [lo, hi), identical on every platform (no <random> distributions)
template <typename T>
std::vector<T> values(idx n, std::uint64_t seed, double lo = -1, double hi = 1) {
  std::vector<T> v(n);
  std::uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (T& e : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    e = T(lo + (hi - lo) * double(s >> 11) * 0x1.0p-53);
  }
  return v;
}

}  // namespace naive
