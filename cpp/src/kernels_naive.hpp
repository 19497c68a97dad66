// The naive dense kernels: the textbook loops that the fast kernels in kernels.hpp must match.
//
// Same arguments and shapes as the public kernels (outputs first; X (batch, in), W (out, in),
// b (out), Y (batch, out)), one thread, no blocking, no SIMD: what a reader puts next to the
// formula. The C++ tests compare every optimised kernel against these on awkward shapes.
#pragma once

#include "densenn/matrix.hpp"

namespace densenn::naive {

// Y = X W^T + b          Y (batch, out), X (batch, in), W (out, in), b (out) or null
template <typename T>
void dense_forward(T* y, const T* x, const T* w, const T* b, index_t batch, index_t in, index_t out);

// dX = dY W              dX (batch, in), dY (batch, out), W (out, in)
template <typename T>
void dense_backward_input(T* dx, const T* dy, const T* w, index_t batch, index_t in, index_t out);

// dW = dY^T X            dW (out, in), dY (batch, out), X (batch, in)
template <typename T>
void dense_backward_weight(T* dw, const T* dy, const T* x, index_t batch, index_t in, index_t out);

// db = sum of dY over the batch       db (out), dY (batch, out)
template <typename T>
void dense_backward_bias(T* db, const T* dy, index_t batch, index_t out);

// p -= lr * g            p (n), g (n)
template <typename T>
void sgd_update(T* p, const T* g, T lr, index_t n);

}  // namespace densenn::naive
