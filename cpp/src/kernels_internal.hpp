// Kernel entry points that the layers and Sequential use but the public API does not offer.
#pragma once

#include "densenn/matrix.hpp"
#include "gemm.hpp"

namespace densenn::detail {

// Runs a stack of dense layers (each step's input the previous step's output, the first's x) for
// `batch` rows in one kernel call, when the batch is small enough for the unpacked forward pass
// and no layer is big enough to be worth a second thread; returns false, computing nothing,
// otherwise. The bits are those of dense_forward_act layer by layer.
template <typename T>
bool dense_forward_stack(const DenseStep<T>* steps, int count, const T* x, index_t batch);

// Y = X W^T + b, then Y = max(Y, 0) when relu: dense_forward with the ReLU after it fused into
// the same pass (the bits are those of dense_forward followed by relu_forward).
template <typename T>
void dense_forward_act(T* y, const T* x, const T* w, const T* b, index_t batch, index_t in, index_t out, bool relu);

// One layer of a FrozenNet for one row: y (out) = x W^T + b, then max(y, 0) if relu, where w is
// W (out, in), or W^T (in, out) with rows ld apart when transposed.
template <typename T>
struct FrozenStep {
  T* y;
  const T* w;
  index_t ld;
  const T* b;
  index_t in, out;
  bool relu, transposed;
};

// One row through a stack of frozen layers, each step reading the previous step's y (x first).
template <typename T>
void frozen_forward_row(const FrozenStep<T>* steps, int count, const T* x);

// The SIMD width in T of the kernels in use: a layer at least this wide is frozen transposed.
template <typename T>
index_t frozen_lanes();

// dst[k] = src[k] for k < n, over the threads when n is large (the layers' cached inputs).
template <typename T>
void copy(T* dst, const T* src, index_t n);

}  // namespace densenn::detail
