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

// dst[k] = src[k] for k < n, over the threads when n is large (the layers' cached inputs).
template <typename T>
void copy(T* dst, const T* src, index_t n);

}  // namespace densenn::detail
