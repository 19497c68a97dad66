// FrozenNet<T>: an inference-only snapshot of a Sequential, laid out for the latency of a few rows.
#pragma once

#include <vector>

#include "densenn/matrix.hpp"
#include "densenn/sequential.hpp"

namespace densenn {

// A copy of a network of Dense and ReLU layers made for predicting one row (or a few) as fast as
// possible: each Dense that is at least one SIMD vector wide keeps W transposed, so that a row's
// outputs are sums of rows of W^T scaled by the inputs, with no sums across vector lanes, and the
// call takes no lock. What freezing buys is for small networks, whose latency is mostly such sums
// and calls; for large batches Sequential::predict (blocked products, threads) is faster.
//
// A snapshot: training or editing the network afterwards does not change it (freeze it again).
// The results agree with Sequential::predict to rounding, not bit for bit (the sums run in
// another order). predict is const and may be called from several threads at once.
template <typename T>
class FrozenNet {
 public:
  // Throws std::invalid_argument if a layer is neither Dense nor ReLU, or there is no Dense.
  explicit FrozenNet(const Sequential<T>& net);
  // A copy is a snapshot of its own (its weights placed again at its own aligned addresses).
  FrozenNet(const FrozenNet& other);
  FrozenNet& operator=(const FrozenNet& other);
  FrozenNet(FrozenNet&&) noexcept = default;
  FrozenNet& operator=(FrozenNet&&) noexcept = default;

  index_t in_features() const { return in_features_; }
  index_t out_features() const { return out_features_; }

  // y (rows, out_features) = the network applied to each row of x (rows, in_features); throws
  // ShapeError for other shapes. Allocates nothing after this thread's first call.
  void predict(MatrixView<const T> x, MatrixView<T> y) const;
  Matrix<T> predict(MatrixView<const T> x) const;

 private:
  struct FrozenLayer {
    index_t in, out;
    // W (out, in); or W^T (in, out) when transposed, its rows ld apart and 64-byte aligned from
    // the first aligned address in `storage` (found again on each call: moves keep the buffer,
    // copies place the weights again, see the copy constructor)
    std::vector<T> storage;
    index_t ld;
    std::vector<T> b;  // empty without a bias
    bool transposed, relu;
    const T* weights() const;
    index_t values() const { return (transposed ? in : out) * ld; }  // of W or W^T, from weights()
  };
  std::vector<FrozenLayer> layers_;
  index_t in_features_ = 0, out_features_ = 0, widest_ = 0;
  bool relu_input_ = false;  // a ReLU before the first Dense
};

}  // namespace densenn
