// The math of densenn: every formula as a kernel over contiguous row-major buffers.
//
// Arguments come outputs first, then inputs, then sizes. Kernels never keep a pointer after they
// return and overwrite their outputs (nothing accumulates across calls). The dense products keep a
// per-thread packing buffer that grows on first use: after the first call with given sizes they
// allocate nothing. Shapes use the layer convention: X (batch, in), W (out, in), b (out),
// Y (batch, out). Work is split across threads by blocks of outputs only, never inside a sum, so
// results do not depend on the thread count. The dense products are cache-blocked and use the
// widest SIMD instructions the CPU has (see threads.hpp); each output is still one plain sum in a
// fixed order, checked against the naive loops in the C++ tests.
#pragma once

#include <cstdint>

#include "densenn/matrix.hpp"

namespace densenn {

// ---- dense layer ------------------------------------------------------------------------------
// Y = X W^T + b                       Y (batch, out), X (batch, in), W (out, in), b (out) or null
template <typename T>
void dense_forward(T* y, const T* x, const T* w, const T* b, index_t batch, index_t in, index_t out);

// dX = dY W                           dX (batch, in), dY (batch, out), W (out, in)
template <typename T>
void dense_backward_input(T* dx, const T* dy, const T* w, index_t batch, index_t in, index_t out);

// dW = dY^T X  (the sum over the batch of dE/dy ⊗ x)    dW (out, in), dY (batch, out), X (batch, in)
template <typename T>
void dense_backward_weight(T* dw, const T* dy, const T* x, index_t batch, index_t in, index_t out);

// db = sum of dY over the batch (in groups of rows)       db (out), dY (batch, out)
template <typename T>
void dense_backward_bias(T* db, const T* dy, index_t batch, index_t out);

// p -= lr * g, in place               p (n), g (n)
template <typename T>
void sgd_update(T* p, const T* g, T lr, index_t n);

// ---- activations (elementwise over n values, or row-wise for softmax) ---------------------------
// y = max(x, 0) (NaN stays NaN);  dx = 0 where x <= 0, else dy (a NaN x passes dy on, as in PyTorch)
template <typename T>
void relu_forward(T* y, const T* x, index_t n);
template <typename T>
void relu_backward(T* dx, const T* dy, const T* x, index_t n);

// y = x if x > 0 else slope * x;  dx = dy where x > 0, else slope * dy
template <typename T>
void leaky_relu_forward(T* y, const T* x, T slope, index_t n);
template <typename T>
void leaky_relu_backward(T* dx, const T* dy, const T* x, T slope, index_t n);

// y = 1 / (1 + exp(-x));  dx = dy * y * (1 - y)   (from the output y)
template <typename T>
void sigmoid_forward(T* y, const T* x, index_t n);
template <typename T>
void sigmoid_backward(T* dx, const T* dy, const T* y, index_t n);

// y = tanh(x);  dx = dy * (1 - y^2)   (from the output y)
template <typename T>
void tanh_forward(T* y, const T* x, index_t n);
template <typename T>
void tanh_backward(T* dx, const T* dy, const T* y, index_t n);

// Row-wise over (rows, cols): y = exp(x - max) / sum(exp(x - max));  dx = y * (dy - sum(dy * y))
template <typename T>
void softmax_forward(T* y, const T* x, index_t rows, index_t cols);
template <typename T>
void softmax_backward(T* dx, const T* dy, const T* y, index_t rows, index_t cols);

// ---- losses (mean reduction, as PyTorch's defaults) --------------------------------------------
// L = mean((pred - target)^2) over n values;  dL/dpred = 2 (pred - target) / n
template <typename T>
T mse_loss_forward(const T* pred, const T* target, index_t n);
template <typename T>
void mse_loss_backward(T* grad, const T* pred, const T* target, index_t n);

// Softmax cross-entropy, labels (rows) in [0, cols):
// L = -mean_r log softmax(z_r)[label_r];  dL/dz = (softmax(z) - onehot(label)) / rows.
// probs (rows, cols) receives softmax(z), which the backward pass reads.
template <typename T>
T softmax_cross_entropy_forward(T* probs, const T* logits, const std::int64_t* labels, index_t rows, index_t cols);
template <typename T>
void softmax_cross_entropy_backward(T* grad, const T* probs, const std::int64_t* labels, index_t rows, index_t cols);

// Softmax cross-entropy with target probabilities t (rows, cols):
// L = -mean_r sum_c t_rc log softmax(z_r)_c;  dL/dz = (softmax(z) * sum_c t_rc - t) / rows.
template <typename T>
T softmax_cross_entropy_soft_forward(T* probs, const T* logits, const T* target, index_t rows, index_t cols);
template <typename T>
void softmax_cross_entropy_soft_backward(T* grad, const T* probs, const T* target, index_t rows, index_t cols);

// Binary cross-entropy on logits z, targets t, over n values, in the stable form PyTorch uses
// L = mean((1 - t) z - min(z, 0) + log(1 + exp(-|z|)));  dL/dz = (sigmoid(z) - t) / n
template <typename T>
T bce_with_logits_forward(const T* logits, const T* target, index_t n);
template <typename T>
void bce_with_logits_backward(T* grad, const T* logits, const T* target, index_t n);

}  // namespace densenn
