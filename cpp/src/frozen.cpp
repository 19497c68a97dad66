// FrozenNet<T>: the snapshot (which layout each layer gets) and the row-by-row forward pass.
#include "densenn/frozen.hpp"

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>

#include "densenn/errors.hpp"
#include "densenn/kernels.hpp"
#include "kernels_internal.hpp"

namespace densenn {

namespace {
// Layers run per kernel call (their steps live on the stack); longer networks take several calls.
constexpr std::size_t kMaxFrozenLayers = 16;
// Rows of the widest layers whose scratch space lives on the stack (beyond, a thread_local buffer).
constexpr index_t kStackValues = 1024;
}  // namespace

template <typename T>
const T* FrozenNet<T>::FrozenLayer::weights() const {
  const auto address = reinterpret_cast<std::uintptr_t>(storage.data());
  return storage.data() + (64 - address % 64) % 64 / sizeof(T);
}

template <typename T>
FrozenNet<T>::FrozenNet(const Sequential<T>& net) {
  const index_t lanes = detail::frozen_lanes<T>();
  constexpr index_t kAlignValues = 64 / sizeof(T);
  for (index_t i = 0; i < net.size(); ++i) {
    Layer<T>& layer = net[i];
    if (dynamic_cast<ReLU<T>*>(&layer)) {
      if (layers_.empty())
        relu_input_ = true;
      else
        layers_.back().relu = true;  // relu(relu(z)) is relu(z), bit for bit
      continue;
    }
    auto* dense = dynamic_cast<Dense<T>*>(&layer);
    if (!dense)
      throw std::invalid_argument("FrozenNet: layer " + std::to_string(i) + " is " + layer.kind() +
                                  "; only dense and relu layers can be frozen");
    std::lock_guard<std::mutex> lock(dense->mutex());  // a consistent copy, even while others train
    const index_t in = dense->in_features(), out = dense->out_features();
    const MatrixView<T> w = dense->weight();
    FrozenLayer frozen{in, out, {}, in, {}, out >= lanes, false};
    if (dense->has_bias()) frozen.b.assign(dense->bias(), dense->bias() + out);
    if (frozen.transposed) {
      frozen.ld = (out + kAlignValues - 1) / kAlignValues * kAlignValues;  // every row aligned
      frozen.storage.assign(std::size_t(in * frozen.ld + kAlignValues), T(0));
      T* wt = const_cast<T*>(frozen.weights());
      for (index_t j = 0; j < out; ++j)
        for (index_t k = 0; k < in; ++k) wt[k * frozen.ld + j] = w(j, k);
    } else {
      frozen.storage.assign(std::size_t(in * out + kAlignValues), T(0));
      std::copy(w.data(), w.data() + w.size(), const_cast<T*>(frozen.weights()));
    }
    layers_.push_back(std::move(frozen));
  }
  if (layers_.empty()) throw std::invalid_argument("FrozenNet: the network has no dense layer");
  in_features_ = layers_.front().in;
  out_features_ = layers_.back().out;
  for (const FrozenLayer& l : layers_) widest_ = std::max(widest_, l.out);
}

template <typename T>
FrozenNet<T>::FrozenNet(const FrozenNet& other)
    : layers_(other.layers_),
      in_features_(other.in_features_),
      out_features_(other.out_features_),
      widest_(other.widest_),
      relu_input_(other.relu_input_) {
  // A copied vector keeps each value's index, but its buffer may start at another address modulo
  // 64: the weights go again where weights() looks for them in this copy.
  for (std::size_t k = 0; k < layers_.size(); ++k) {
    const FrozenLayer& from = other.layers_[k];
    std::copy(from.weights(), from.weights() + from.values(), const_cast<T*>(layers_[k].weights()));
  }
}

template <typename T>
FrozenNet<T>& FrozenNet<T>::operator=(const FrozenNet& other) {
  if (this != &other) *this = FrozenNet(other);
  return *this;
}

template <typename T>
void FrozenNet<T>::predict(MatrixView<const T> x, MatrixView<T> y) const {
  if (x.cols() != in_features_)
    throw ShapeError("FrozenNet: expected input with " + std::to_string(in_features_) + " features, got " +
                     std::to_string(x.cols()));
  if (y.rows() != x.rows() || y.cols() != out_features_)
    throw ShapeError("FrozenNet: expected output of shape " + shape_string(x.rows(), out_features_) + ", got " +
                     shape_string(y.rows(), y.cols()));
  // Two rows of the widest layer, ping-ponged, and the input row when it needs a ReLU first: on
  // the stack for small networks, else in a buffer of this thread's.
  const index_t room = 2 * widest_ + in_features_;
  alignas(64) T on_stack[kStackValues];
  T* scratch = on_stack;
  if (room > kStackValues) {
    thread_local std::vector<T> buffer;
    if (buffer.size() < std::size_t(room)) buffer.resize(std::size_t(room));
    scratch = buffer.data();
  }
  detail::FrozenStep<T> steps[kMaxFrozenLayers];
  const std::size_t count = layers_.size();
  for (index_t r = 0; r < x.rows(); ++r) {
    const T* in = x.row(r);
    if (relu_input_) {
      T* relu_in = scratch + 2 * widest_;
      relu_forward(relu_in, in, in_features_);
      in = relu_in;
    }
    for (std::size_t s = 0; s < count; s += kMaxFrozenLayers) {
      const std::size_t n = std::min(count - s, kMaxFrozenLayers);
      for (std::size_t k = 0; k < n; ++k) {
        const FrozenLayer& l = layers_[s + k];
        T* out = s + k + 1 == count ? y.row(r) : scratch + ((s + k) % 2) * widest_;
        steps[k] = {out, l.weights(), l.ld, l.b.empty() ? nullptr : l.b.data(), l.in, l.out, l.relu, l.transposed};
      }
      detail::frozen_forward_row(steps, int(n), in);
      in = steps[n - 1].y;
    }
  }
}

template <typename T>
Matrix<T> FrozenNet<T>::predict(MatrixView<const T> x) const {
  Matrix<T> y(x.rows(), out_features_);
  predict(x, y.view());
  return y;
}

template class FrozenNet<float>;
template class FrozenNet<double>;

}  // namespace densenn
