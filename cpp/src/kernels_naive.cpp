// The naive dense kernels declared in kernels_naive.hpp: plain loops, each next to its formula.
#include "kernels_naive.hpp"

#include <algorithm>

namespace densenn::naive {

// Y[n, j] = sum_i X[n, i] W[j, i] + b[j]: a dot product of a row of X with a row of W.
template <typename T>
void dense_forward(T* y, const T* x, const T* w, const T* b, index_t batch, index_t in, index_t out) {
  for (index_t n = 0; n < batch; ++n) {
    const T* xn = x + n * in;
    T* yn = y + n * out;
    for (index_t j = 0; j < out; ++j) {
      const T* wj = w + j * in;
      T acc = 0;
      for (index_t i = 0; i < in; ++i) acc += xn[i] * wj[i];
      yn[j] = b ? acc + b[j] : acc;
    }
  }
}

// dX[n, :] = sum_j dY[n, j] W[j, :]: each row of dX is a combination of the rows of W.
template <typename T>
void dense_backward_input(T* dx, const T* dy, const T* w, index_t batch, index_t in, index_t out) {
  for (index_t n = 0; n < batch; ++n) {
    T* dxn = dx + n * in;
    const T* dyn = dy + n * out;
    std::fill(dxn, dxn + in, T(0));
    for (index_t j = 0; j < out; ++j) {
      const T g = dyn[j];
      const T* wj = w + j * in;
      for (index_t i = 0; i < in; ++i) dxn[i] += g * wj[i];
    }
  }
}

// dW[j, :] = sum_n dY[n, j] X[n, :]: the batch sum of outer products dE/dy ⊗ x.
template <typename T>
void dense_backward_weight(T* dw, const T* dy, const T* x, index_t batch, index_t in, index_t out) {
  for (index_t j = 0; j < out; ++j) {
    T* dwj = dw + j * in;
    std::fill(dwj, dwj + in, T(0));
    for (index_t n = 0; n < batch; ++n) {
      const T g = dy[n * out + j];
      const T* xn = x + n * in;
      for (index_t i = 0; i < in; ++i) dwj[i] += g * xn[i];
    }
  }
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

#define DENSENN_INSTANTIATE_NAIVE(T)                                                            \
  template void dense_forward<T>(T*, const T*, const T*, const T*, index_t, index_t, index_t); \
  template void dense_backward_input<T>(T*, const T*, const T*, index_t, index_t, index_t);    \
  template void dense_backward_weight<T>(T*, const T*, const T*, index_t, index_t, index_t);   \
  template void dense_backward_bias<T>(T*, const T*, index_t, index_t);                        \
  template void sgd_update<T>(T*, const T*, T, index_t);

DENSENN_INSTANTIATE_NAIVE(float)
DENSENN_INSTANTIATE_NAIVE(double)

}  // namespace densenn::naive
