// Sequential<T>: the forward loop, the reversed backward loop, and their reusable buffers.
#include "densenn/sequential.hpp"

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>

#include "kernels_internal.hpp"

namespace densenn {

namespace {
// Longest stack of layers that predict runs in one kernel call (steps live on the stack).
constexpr std::size_t kMaxStack = 32;
}  // namespace

template <typename T>
Sequential<T>& Sequential<T>::add(std::shared_ptr<Layer<T>> layer) {
  if (!layer) throw std::invalid_argument("Sequential::add: null layer");
  for (std::size_t k = 0; k < layers_.size(); ++k)
    if (layers_[k] == layer)
      throw std::invalid_argument("Sequential::add: this layer object is already layer " + std::to_string(k) +
                                  "; a layer keeps one cached input and one set of gradients, so it cannot "
                                  "appear twice in a network (add a copy of it)");
  // Room first, so that nothing after the width check can throw and leave the layer half-added.
  layers_.reserve(layers_.size() + 1);
  dense_.reserve(dense_.size() + 1);
  activation_.reserve(activation_.size() + 1);
  relu_.reserve(relu_.size() + 1);
  layer_mutexes_.reserve(layer_mutexes_.size() + 1);
  dense_mutexes_.reserve(dense_mutexes_.size() + 1);
  Dense<T>* const dense = dynamic_cast<Dense<T>*>(layer.get());
  Activation<T>* const activation = dynamic_cast<Activation<T>*>(layer.get());
  const bool relu = dynamic_cast<ReLU<T>*>(layer.get()) != nullptr;
  if (dense) {
    if (width_ && *width_ != dense->in_features())
      throw ShapeError("Sequential::add: layer " + std::to_string(layers_.size()) + " expects " +
                       std::to_string(dense->in_features()) + " input features, but the previous layers give " +
                       std::to_string(*width_));
    if (!in_features_ && width_known_) in_features_ = dense->in_features();
    width_ = dense->out_features();
  } else if (width_) {
    width_ = layer->output_cols(*width_);
  }
  std::mutex* m = &layer->mutex();
  layer_mutexes_.insert(std::lower_bound(layer_mutexes_.begin(), layer_mutexes_.end(), m, std::less<std::mutex*>()), m);
  if (dense)
    dense_mutexes_.insert(std::lower_bound(dense_mutexes_.begin(), dense_mutexes_.end(), m, std::less<std::mutex*>()), m);
  widths_fixed_ = widths_fixed_ && (dense || activation);
  const bool relu_after_dense = relu && !dense_.empty() && dense_.back();
  dense_stack_ = dense_stack_ && (dense || relu_after_dense) && layers_.size() < kMaxStack;
  dense_.push_back(dense);
  activation_.push_back(activation);
  relu_.push_back(relu);
  layers_.push_back(std::move(layer));
  return *this;
}

template <typename T>
const std::shared_ptr<Layer<T>>& Sequential<T>::layer_ptr(index_t i) const {
  if (i < 0 || i >= size())
    throw std::out_of_range("Sequential: layer index " + std::to_string(i) + " out of range for " +
                            std::to_string(size()) + " layers");
  return layers_[static_cast<std::size_t>(i)];
}

template <typename T>
Layer<T>& Sequential<T>::operator[](index_t i) const {
  return *layer_ptr(i);
}

template <typename T>
index_t Sequential<T>::output_cols(index_t in) const {
  if (in_features_ && in != *in_features_)
    throw ShapeError("Sequential: expected input with " + std::to_string(*in_features_) + " features, got " +
                     std::to_string(in));
  for (const auto& layer : layers_) in = layer->output_cols(in);
  return in;
}

template <typename T>
index_t Sequential<T>::input_cols(index_t out) const {
  for (std::size_t k = layers_.size(); k-- > 0;) out = layers_[k]->input_cols(out);
  return out;
}

template <typename T>
MatrixView<const T> Sequential<T>::run(MatrixView<const T> x, bool training, std::vector<Matrix<T>>& outputs) {
  if (in_features_ && x.cols() != *in_features_)
    throw ShapeError("Sequential: expected input of shape " + shape_string(x.rows(), *in_features_) + ", got " +
                     shape_string(x.rows(), x.cols()));
  // Shapes first, so that a mismatch throws before any layer has changed. When add() saw every
  // width (Dense layers and activations only), the input width checked above is all there is.
  if (!widths_fixed_ || !in_features_) {
    index_t cols = x.cols();
    for (const auto& layer : layers_) cols = layer->output_cols(cols);
  }
  const std::size_t count = layers_.size();
  outputs.resize(count);
  if (training) trained_.resize(count);
  if (!training && dense_stack_ && count > 0) {
    // Only Dense layers (and ReLUs fused into them): a small batch goes through all of them in
    // one kernel call, when dense_forward_stack takes it.
    detail::DenseStep<T> steps[kMaxStack];
    int n = 0;
    MatrixView<const T> out;
    for (std::size_t i = 0; i < count; ++i) {
      Dense<T>& dense = *dense_[i];
      const bool relu = i + 1 < count && relu_[i + 1];
      Matrix<T>& y = outputs[relu ? ++i : i];
      y.resize(x.rows(), dense.out_features());
      steps[n++] = {y.data(), dense.parameters().data(), dense.bias(), dense.in_features(), dense.out_features(), relu};
      out = y.view();
    }
    if (detail::dense_forward_stack(steps, n, x.data(), x.rows())) return out;
  }
  MatrixView<const T> in = x;
  for (std::size_t i = 0; i < count; ++i) {
    if (Dense<T>* dense = dense_[i]; dense && !training) {
      // Inference of a Dense straight through the kernel; a ReLU after it is fused in and writes
      // the ReLU's output (the same bits as the two layers one after the other).
      const bool relu = i + 1 < count && relu_[i + 1];
      Matrix<T>& y = outputs[relu ? ++i : i];
      y.resize(in.rows(), dense->out_features());
      detail::dense_forward_act(y.data(), in.data(), dense->parameters().data(), dense->bias(), in.rows(),
                                dense->in_features(), dense->out_features(), relu);
      in = y.view();
      continue;
    }
    const index_t cols = layers_[i]->output_cols(in.cols());
    MatrixView<T> y;
    if (training) {
      y = training_output(i, in.rows(), cols);
    } else {
      outputs[i].resize(in.rows(), cols);
      y = outputs[i].view();
    }
    layers_[i]->forward(y, in, training);
    in = y;
    if (training) trained_[i] = in;
  }
  return in;
}

// Where layer i writes its training output: straight into the next layer's input cache when that
// layer keeps one (Dense, ReLU, LeakyReLU), so that it need not copy its input; else into this
// network's own buffer (always so for the last layer, whose output the caller gets).
template <typename T>
MatrixView<T> Sequential<T>::training_output(std::size_t i, index_t rows, index_t cols) {
  if (i + 1 < layers_.size()) {
    if (Dense<T>* next = dense_[i + 1]) return next->input_slot(rows, cols);
    if (Activation<T>* next = activation_[i + 1]; next && next->caches_input()) return next->input_slot(rows, cols);
  }
  train_outputs_[i].resize(rows, cols);
  return train_outputs_[i].view();
}

template <typename T>
MatrixView<const T> Sequential<T>::forward(MatrixView<const T> x) {
  LayersLocked locked(*this);
  return forward_unlocked(x);
}

template <typename T>
MatrixView<const T> Sequential<T>::forward_unlocked(MatrixView<const T> x) {
  MatrixView<const T> y = run(x, true, train_outputs_);
  stamps_.resize(layers_.size());
  for (std::size_t k = 0; k < layers_.size(); ++k) stamps_[k] = layers_[k]->forward_stamp();
  has_forward_ = true;
  return y;
}

template <typename T>
MatrixView<const T> Sequential<T>::predict(MatrixView<const T> x) {
  LayersLocked locked(predict_mutexes());
  return run(x, false, predict_outputs_);
}

template <typename T>
void Sequential<T>::predict(MatrixView<const T> x, MatrixView<T> y) {
  LayersLocked locked(predict_mutexes());
  const index_t cols = output_cols(x.cols());
  if (y.rows() != x.rows() || y.cols() != cols)
    throw ShapeError("Sequential::predict: expected output of shape " + shape_string(x.rows(), cols) + ", got " +
                     shape_string(y.rows(), y.cols()));
  const MatrixView<const T> out = run(x, false, predict_outputs_);
  std::copy(out.data(), out.data() + out.size(), y.data());  // still under the lock: no other call has run
}

template <typename T>
MatrixView<const T> Sequential<T>::backward(MatrixView<const T> dy, bool need_input_grad) {
  LayersLocked locked(*this);
  return backward_unlocked(dy, need_input_grad);
}

template <typename T>
MatrixView<const T> Sequential<T>::backward_unlocked(MatrixView<const T> dy, bool need_input_grad) {
  if (!has_forward_) throw StateError("Sequential backward called before forward");
  if (layers_.empty()) return dy;
  const MatrixView<const T> out = trained_.back();
  if (dy.rows() != out.rows() || dy.cols() != out.cols())
    throw ShapeError("Sequential backward: expected grad of shape " + shape_string(out.rows(), out.cols()) +
                     ", got " + shape_string(dy.rows(), dy.cols()));
  // Every layer first: one that has run a training forward since this network's forward (called
  // directly, or by another network sharing it) holds another input, and must throw before the
  // layers behind it have overwritten their gradients.
  for (std::size_t k = 0; k < layers_.size(); ++k) {
    if (layers_[k]->forward_stamp() != stamps_[k])  // first: its cache may now have another shape too
      throw StateError("Sequential backward: layer " + std::to_string(k) + " (" + layers_[k]->kind() +
                       ") has run a training forward since this network's forward (it is shared with "
                       "another network, or was called directly), so it holds another input: call forward again");
    layers_[k]->check_backward(trained_[k].rows(), trained_[k].cols());
  }
  MatrixView<const T> grad = dy;
  for (std::size_t k = layers_.size(); k-- > 0;) {
    Layer<T>& layer = *layers_[k];
    if (k == 0 && !need_input_grad && dense_[0]) {
      dense_[0]->backward_parameters(grad);
      return {};
    }
    Matrix<T>& dx = grad_[k % 2];
    dx.resize(grad.rows(), layer.input_cols(grad.cols()));
    layer.backward(dx.view(), grad);
    grad = dx.view();
  }
  return need_input_grad ? grad : MatrixView<const T>();
}

template <typename T>
void Sequential<T>::step(T lr) {
  LayersLocked locked(*this);
  step_unlocked(lr);
}

template <typename T>
void Sequential<T>::step_unlocked(T lr) {
  for (auto& layer : layers_) layer->step(lr);
}

template class Sequential<float>;
template class Sequential<double>;

}  // namespace densenn
