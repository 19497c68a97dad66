// Layers: Dense and the activations, all sharing the Layer<T> contract below.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "densenn/lockable.hpp"
#include "densenn/matrix.hpp"

namespace densenn {

// The contract every layer keeps.
//
// forward(y, x, training)
//   x: (batch, in), y: (batch, output_cols(in)); y is overwritten. With training = true the
//   layer keeps a copy of what backward needs (never a pointer into x); with false it keeps
//   nothing and its state from an earlier training forward is left as it was.
// backward(dx, dy)
//   Requires a training forward before it (else StateError). dy has the shape of that forward's
//   y, dx the shape of its x; dx is overwritten, and so are the layer's parameter gradients
//   (backward overwrites, it never accumulates).
// check_backward(rows, cols)
//   Throws what backward would throw for a dy of that shape, and changes nothing. Sequential
//   checks every layer this way before the first backward, so a failing backward changes no
//   gradient. The default checks nothing (the layer's own backward then has the last word).
// step(lr)
//   Plain SGD on the layer's parameters: p -= lr * grad.
// Shapes are checked before anything is written; a call that throws changes nothing.
// A layer is not itself safe to call from several threads at once; its mutex() is there for
// callers that share it (Sequential and the Python bindings take it).
template <typename T>
class Layer : public Lockable {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "densenn computes in float or double");

 public:
  virtual ~Layer() = default;

  // The number of output columns for `in` input columns; throws ShapeError if `in` does not fit.
  virtual index_t output_cols(index_t in) const = 0;
  // The number of input columns that gives `out` output columns (what backward's dx needs).
  virtual index_t input_cols(index_t out) const = 0;
  virtual void forward(MatrixView<T> y, MatrixView<const T> x, bool training) = 0;
  virtual void backward(MatrixView<T> dx, MatrixView<const T> dy) = 0;
  virtual void check_backward(index_t dy_rows, index_t dy_cols) const {
    (void)dy_rows;
    (void)dy_cols;
  }
  virtual void step(T lr) { (void)lr; }
  // A short lower-case name: "dense", "relu", ...
  virtual std::string kind() const = 0;

  // Allocating conveniences over forward and backward.
  Matrix<T> forward(MatrixView<const T> x, bool training = true);
  Matrix<T> backward(MatrixView<const T> dy);

  // Changes at every training forward of densenn's layers (0 before the first): a Sequential
  // tells by it that a layer it shares with someone else has since cached another input.
  std::uint64_t forward_stamp() const { return forward_stamp_; }

 protected:
  void stamp_forward();  // a new forward_stamp(), unique among the process's layers of type T

 private:
  std::uint64_t forward_stamp_ = 0;
};

// Weight initialisation; bias always starts at zero.
enum class Init {
  he,      // uniform in ±sqrt(6 / in_features)
  xavier,  // uniform in ±sqrt(6 / (in_features + out_features))
  zeros,
};

// "he", "xavier" or "zeros"; throws std::invalid_argument for anything else.
Init parse_init(const std::string& name);

// Fully connected layer: Y = X W^T + b, W (out_features, in_features), b (out_features).
//
// Parameters live in one contiguous buffer [W | b] and gradients in another of the same layout,
// so SGD or any optimizer is one flat loop over parameters() and gradients().
template <typename T>
class Dense final : public Layer<T> {
 public:
  // Sizes must be positive (ShapeError otherwise). The same seed gives bitwise the same weights.
  Dense(index_t in_features, index_t out_features, std::uint64_t seed = 0, Init init = Init::he, bool bias = true);

  index_t in_features() const { return in_; }
  index_t out_features() const { return out_; }
  bool has_bias() const { return has_bias_; }

  MatrixView<T> weight() { return {params_.data(), out_, in_}; }
  MatrixView<T> grad_weight() { return {grads_.data(), out_, in_}; }
  MatrixView<const T> weight() const { return {params_.data(), out_, in_}; }
  MatrixView<const T> grad_weight() const { return {grads_.data(), out_, in_}; }
  // (out_features) pointers; null without bias.
  T* bias() { return has_bias_ ? params_.data() + out_ * in_ : nullptr; }
  T* grad_bias() { return has_bias_ ? grads_.data() + out_ * in_ : nullptr; }
  const T* bias() const { return has_bias_ ? params_.data() + out_ * in_ : nullptr; }
  const T* grad_bias() const { return has_bias_ ? grads_.data() + out_ * in_ : nullptr; }
  // The flat parameter and gradient buffers, [W | b].
  std::vector<T>& parameters() { return params_; }
  std::vector<T>& gradients() { return grads_; }
  const std::vector<T>& parameters() const { return params_; }
  const std::vector<T>& gradients() const { return grads_; }

  index_t output_cols(index_t in) const override;
  index_t input_cols(index_t) const override { return in_; }
  void forward(MatrixView<T> y, MatrixView<const T> x, bool training) override;
  void backward(MatrixView<T> dx, MatrixView<const T> dy) override;
  void check_backward(index_t dy_rows, index_t dy_cols) const override;
  // backward without dX: fills grad_weight and grad_bias only (a first layer needs no dX).
  void backward_parameters(MatrixView<const T> dy);
  void step(T lr) override;
  std::string kind() const override { return "dense"; }
  using Layer<T>::forward;
  using Layer<T>::backward;

 private:
  template <typename>
  friend class Sequential;
  // The input cache, shaped (rows, cols), for the layer before this one to write its training
  // output into: forward() then finds x already in place and keeps it without a copy.
  MatrixView<T> input_slot(index_t rows, index_t cols) {
    input_.resize(rows, cols);
    return input_.view();
  }

  index_t in_, out_;
  bool has_bias_;
  std::vector<T> params_, grads_;
  Matrix<T> input_;  // the last training forward's x, for dW = dY^T X
  bool has_input_ = false;
};

// Shared machinery of the elementwise activations: shape checks and the cached tensor.
template <typename T>
class Activation : public Layer<T> {
 public:
  index_t output_cols(index_t in) const override { return in; }
  index_t input_cols(index_t out) const override { return out; }
  void forward(MatrixView<T> y, MatrixView<const T> x, bool training) override;
  void backward(MatrixView<T> dx, MatrixView<const T> dy) override;
  void check_backward(index_t dy_rows, index_t dy_cols) const override;
  using Layer<T>::forward;
  using Layer<T>::backward;

 protected:
  // Whether backward needs the input x (true) or the output y (false).
  virtual bool caches_input() const = 0;
  virtual void apply(MatrixView<T> y, MatrixView<const T> x) const = 0;
  // dx from dy and the cached tensor (x or y, as caches_input says).
  virtual void apply_backward(MatrixView<T> dx, MatrixView<const T> dy, MatrixView<const T> cached) const = 0;

 private:
  template <typename>
  friend class Sequential;
  // As Dense::input_slot, for an activation that caches its input (caches_input()).
  MatrixView<T> input_slot(index_t rows, index_t cols) {
    cache_.resize(rows, cols);
    return cache_.view();
  }

  Matrix<T> cache_;
  bool has_cache_ = false;
};

template <typename T>
class ReLU final : public Activation<T> {
 public:
  std::string kind() const override { return "relu"; }

 protected:
  bool caches_input() const override { return true; }
  void apply(MatrixView<T> y, MatrixView<const T> x) const override;
  void apply_backward(MatrixView<T> dx, MatrixView<const T> dy, MatrixView<const T> x) const override;
};

template <typename T>
class LeakyReLU final : public Activation<T> {
 public:
  explicit LeakyReLU(T negative_slope = T(0.01)) : slope_(negative_slope) {}
  T negative_slope() const { return slope_; }
  std::string kind() const override { return "leaky_relu"; }

 protected:
  bool caches_input() const override { return true; }
  void apply(MatrixView<T> y, MatrixView<const T> x) const override;
  void apply_backward(MatrixView<T> dx, MatrixView<const T> dy, MatrixView<const T> x) const override;

 private:
  T slope_;
};

template <typename T>
class Sigmoid final : public Activation<T> {
 public:
  std::string kind() const override { return "sigmoid"; }

 protected:
  bool caches_input() const override { return false; }
  void apply(MatrixView<T> y, MatrixView<const T> x) const override;
  void apply_backward(MatrixView<T> dx, MatrixView<const T> dy, MatrixView<const T> y) const override;
};

template <typename T>
class Tanh final : public Activation<T> {
 public:
  std::string kind() const override { return "tanh"; }

 protected:
  bool caches_input() const override { return false; }
  void apply(MatrixView<T> y, MatrixView<const T> x) const override;
  void apply_backward(MatrixView<T> dx, MatrixView<const T> dy, MatrixView<const T> y) const override;
};

// Softmax over each row (the last axis).
template <typename T>
class Softmax final : public Activation<T> {
 public:
  std::string kind() const override { return "softmax"; }

 protected:
  bool caches_input() const override { return false; }
  void apply(MatrixView<T> y, MatrixView<const T> x) const override;
  void apply_backward(MatrixView<T> dx, MatrixView<const T> dy, MatrixView<const T> y) const override;
};

}  // namespace densenn
