// Kernel entry points that the layers and Sequential use but the public API does not offer.
#pragma once

#include "densenn/matrix.hpp"

namespace densenn::detail {

// Y = X W^T + b, then Y = max(Y, 0) when relu: dense_forward with the ReLU after it fused into
// the same pass (the bits are those of dense_forward followed by relu_forward).
template <typename T>
void dense_forward_act(T* y, const T* x, const T* w, const T* b, index_t batch, index_t in, index_t out, bool relu);

}  // namespace densenn::detail
