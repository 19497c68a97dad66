// Dense and the activations: shape checks, cached state, and calls into the kernels.
#include "densenn/layers.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "densenn/kernels.hpp"
#include "kernels_internal.hpp"

namespace densenn {

namespace {

// SplitMix64: a tiny generator with a fixed, documented output sequence, so the same seed
// gives the same weights on every platform and in every language binding.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [-1, 1), from the top 53 bits.
  double symmetric() { return 2.0 * (double(next() >> 11) * 0x1.0p-53) - 1.0; }

 private:
  std::uint64_t state_;
};

void check_same_shape(const char* what, index_t rows, index_t cols, index_t want_rows, index_t want_cols) {
  if (rows != want_rows || cols != want_cols)
    throw ShapeError(std::string(what) + ": expected shape " + shape_string(want_rows, want_cols) + ", got " +
                     shape_string(rows, cols));
}

// Whether v is the whole of m (written there through an input_slot): nothing to copy.
template <typename T>
bool holds(const Matrix<T>& m, MatrixView<const T> v) {
  return v.data() == m.data() && v.rows() == m.rows() && v.cols() == m.cols();
}

}  // namespace

// ---- Layer --------------------------------------------------------------------------------------

template <typename T>
void Layer<T>::stamp_forward() {
  static std::atomic<std::uint64_t> last{0};
  forward_stamp_ = last.fetch_add(1, std::memory_order_relaxed) + 1;
}

template <typename T>
Matrix<T> Layer<T>::forward(MatrixView<const T> x, bool training) {
  Matrix<T> y(x.rows(), output_cols(x.cols()));
  forward(y.view(), x, training);
  return y;
}

template <typename T>
Matrix<T> Layer<T>::backward(MatrixView<const T> dy) {
  Matrix<T> dx(dy.rows(), input_cols(dy.cols()));
  backward(dx.view(), dy);
  return dx;
}

// ---- Dense --------------------------------------------------------------------------------------

Init parse_init(const std::string& name) {
  if (name == "he") return Init::he;
  if (name == "xavier") return Init::xavier;
  if (name == "zeros") return Init::zeros;
  throw std::invalid_argument("unknown init '" + name + "': expected 'he', 'xavier' or 'zeros'");
}

template <typename T>
Dense<T>::Dense(index_t in_features, index_t out_features, std::uint64_t seed, Init init, bool bias)
    : in_(in_features), out_(out_features), has_bias_(bias) {
  if (in_features <= 0 || out_features <= 0)
    throw ShapeError("Dense sizes must be positive, got in_features=" + std::to_string(in_features) +
                     ", out_features=" + std::to_string(out_features));
  const index_t n_weight = checked_size(out_features, in_features);
  if (n_weight > std::numeric_limits<index_t>::max() - out_features)
    throw ShapeError("Dense(" + std::to_string(in_features) + ", " + std::to_string(out_features) + ") is too large");
  const index_t n = n_weight + (bias ? out_features : 0);
  params_.assign(static_cast<std::size_t>(n), T(0));
  grads_.assign(static_cast<std::size_t>(n), T(0));
  if (init == Init::zeros) return;
  const double fan = init == Init::he ? double(in_features) : double(in_features + out_features);
  const double bound = std::sqrt(6.0 / fan);
  SplitMix64 rng(seed);
  for (index_t k = 0; k < n_weight; ++k) params_[static_cast<std::size_t>(k)] = static_cast<T>(bound * rng.symmetric());
}

template <typename T>
index_t Dense<T>::output_cols(index_t in) const {
  if (in != in_)
    throw ShapeError("Dense(" + std::to_string(in_) + ", " + std::to_string(out_) + "): expected input with " +
                     std::to_string(in_) + " features, got " + std::to_string(in));
  return out_;
}

template <typename T>
void Dense<T>::forward(MatrixView<T> y, MatrixView<const T> x, bool training) {
  output_cols(x.cols());
  check_same_shape("Dense forward output", y.rows(), y.cols(), x.rows(), out_);
  if (training) {
    if (!holds(input_, x)) {
      input_.resize(x.rows(), x.cols());
      detail::copy(input_.data(), x.data(), x.size());
    }
    has_input_ = true;
    this->stamp_forward();
  }
  dense_forward(y.data(), x.data(), params_.data(), bias(), x.rows(), in_, out_);
}

template <typename T>
void Dense<T>::check_backward(index_t dy_rows, index_t dy_cols) const {
  if (!has_input_) throw StateError("Dense backward called before a training forward");
  check_same_shape("Dense backward grad_out", dy_rows, dy_cols, input_.rows(), out_);
}

template <typename T>
void Dense<T>::backward_parameters(MatrixView<const T> dy) {
  check_backward(dy.rows(), dy.cols());
  dense_backward_weight(grads_.data(), dy.data(), input_.data(), dy.rows(), in_, out_);
  if (has_bias_) dense_backward_bias(grad_bias(), dy.data(), dy.rows(), out_);
}

template <typename T>
void Dense<T>::backward(MatrixView<T> dx, MatrixView<const T> dy) {
  check_backward(dy.rows(), dy.cols());
  check_same_shape("Dense backward grad_in", dx.rows(), dx.cols(), input_.rows(), in_);
  dense_backward_input(dx.data(), dy.data(), params_.data(), dy.rows(), in_, out_);
  backward_parameters(dy);
}

template <typename T>
void Dense<T>::step(T lr) {
  sgd_update(params_.data(), grads_.data(), lr, static_cast<index_t>(params_.size()));
}

// ---- activations --------------------------------------------------------------------------------

template <typename T>
void Activation<T>::forward(MatrixView<T> y, MatrixView<const T> x, bool training) {
  check_same_shape("activation output", y.rows(), y.cols(), x.rows(), x.cols());
  apply(y, x);
  if (training) {
    MatrixView<const T> keep = caches_input() ? x : MatrixView<const T>(y);
    if (!holds(cache_, keep)) {
      cache_.resize(keep.rows(), keep.cols());
      detail::copy(cache_.data(), keep.data(), keep.size());
    }
    has_cache_ = true;
    this->stamp_forward();
  }
}

template <typename T>
void Activation<T>::check_backward(index_t dy_rows, index_t dy_cols) const {
  if (!has_cache_) throw StateError(this->kind() + " backward called before a training forward");
  check_same_shape("activation backward grad_out", dy_rows, dy_cols, cache_.rows(), cache_.cols());
}

template <typename T>
void Activation<T>::backward(MatrixView<T> dx, MatrixView<const T> dy) {
  check_backward(dy.rows(), dy.cols());
  check_same_shape("activation backward grad_in", dx.rows(), dx.cols(), cache_.rows(), cache_.cols());
  apply_backward(dx, dy, cache_.view());
}

template <typename T>
void ReLU<T>::apply(MatrixView<T> y, MatrixView<const T> x) const { relu_forward(y.data(), x.data(), x.size()); }
template <typename T>
void ReLU<T>::apply_backward(MatrixView<T> dx, MatrixView<const T> dy, MatrixView<const T> x) const {
  relu_backward(dx.data(), dy.data(), x.data(), x.size());
}

template <typename T>
void LeakyReLU<T>::apply(MatrixView<T> y, MatrixView<const T> x) const {
  leaky_relu_forward(y.data(), x.data(), slope_, x.size());
}
template <typename T>
void LeakyReLU<T>::apply_backward(MatrixView<T> dx, MatrixView<const T> dy, MatrixView<const T> x) const {
  leaky_relu_backward(dx.data(), dy.data(), x.data(), slope_, x.size());
}

template <typename T>
void Sigmoid<T>::apply(MatrixView<T> y, MatrixView<const T> x) const {
  sigmoid_forward(y.data(), x.data(), x.size());
}
template <typename T>
void Sigmoid<T>::apply_backward(MatrixView<T> dx, MatrixView<const T> dy, MatrixView<const T> y) const {
  sigmoid_backward(dx.data(), dy.data(), y.data(), y.size());
}

template <typename T>
void Tanh<T>::apply(MatrixView<T> y, MatrixView<const T> x) const { tanh_forward(y.data(), x.data(), x.size()); }
template <typename T>
void Tanh<T>::apply_backward(MatrixView<T> dx, MatrixView<const T> dy, MatrixView<const T> y) const {
  tanh_backward(dx.data(), dy.data(), y.data(), y.size());
}

template <typename T>
void Softmax<T>::apply(MatrixView<T> y, MatrixView<const T> x) const {
  softmax_forward(y.data(), x.data(), x.rows(), x.cols());
}
template <typename T>
void Softmax<T>::apply_backward(MatrixView<T> dx, MatrixView<const T> dy, MatrixView<const T> y) const {
  softmax_backward(dx.data(), dy.data(), y.data(), y.rows(), y.cols());
}

#define DENSENN_INSTANTIATE_LAYERS(T) \
  template class Layer<T>;            \
  template class Dense<T>;            \
  template class Activation<T>;       \
  template class ReLU<T>;             \
  template class LeakyReLU<T>;        \
  template class Sigmoid<T>;          \
  template class Tanh<T>;             \
  template class Softmax<T>;

DENSENN_INSTANTIATE_LAYERS(float)
DENSENN_INSTANTIATE_LAYERS(double)

}  // namespace densenn
