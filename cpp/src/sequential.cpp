// Sequential<T>: the forward loop, the reversed backward loop, and their reusable buffers.
#include "densenn/sequential.hpp"

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>

namespace densenn {

template <typename T>
Sequential<T>& Sequential<T>::add(std::shared_ptr<Layer<T>> layer) {
  if (!layer) throw std::invalid_argument("Sequential::add: null layer");
  if (auto* dense = dynamic_cast<Dense<T>*>(layer.get())) {
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
  const auto at = std::lower_bound(layer_mutexes_.begin(), layer_mutexes_.end(), m, std::less<std::mutex*>());
  if (at == layer_mutexes_.end() || *at != m) layer_mutexes_.insert(at, m);  // a layer added twice locks once
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
  output_cols(x.cols());  // shapes first, so that a mismatch throws before any layer has changed
  outputs.resize(layers_.size());
  MatrixView<const T> in = x;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    outputs[i].resize(in.rows(), layers_[i]->output_cols(in.cols()));
    layers_[i]->forward(outputs[i].view(), in, training);
    in = outputs[i].view();
  }
  return in;
}

template <typename T>
MatrixView<const T> Sequential<T>::forward(MatrixView<const T> x) {
  LayersLocked locked(*this);
  return forward_unlocked(x);
}

template <typename T>
MatrixView<const T> Sequential<T>::forward_unlocked(MatrixView<const T> x) {
  MatrixView<const T> y = run(x, true, train_outputs_);
  has_forward_ = true;
  return y;
}

template <typename T>
MatrixView<const T> Sequential<T>::predict(MatrixView<const T> x) {
  LayersLocked locked(*this);
  return run(x, false, predict_outputs_);
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
  const Matrix<T>& out = train_outputs_.back();
  if (dy.rows() != out.rows() || dy.cols() != out.cols())
    throw ShapeError("Sequential backward: expected grad of shape " + shape_string(out.rows(), out.cols()) +
                     ", got " + shape_string(dy.rows(), dy.cols()));
  MatrixView<const T> grad = dy;
  for (std::size_t k = layers_.size(); k-- > 0;) {
    Layer<T>& layer = *layers_[k];
    if (k == 0 && !need_input_grad) {
      if (auto* dense = dynamic_cast<Dense<T>*>(&layer)) {
        dense->backward_parameters(grad);
        return {};
      }
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
