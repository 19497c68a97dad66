// Losses: mean reduction, as PyTorch's defaults, so values and gradients compare one to one.
//
// forward(pred, target) returns the loss and remembers what backward needs (a copy, never a
// pointer into the caller's data). backward(grad) then writes dL/dpred, with pred's shape;
// it throws StateError before any forward. The loss owns the mean: layers never rescale.
// check(rows, cols, target) throws exactly when forward would refuse a (rows, cols) prediction
// with this target, so that a caller can validate before it changes anything.
#pragma once

#include <cstdint>
#include <vector>

#include "densenn/lockable.hpp"
#include "densenn/matrix.hpp"

namespace densenn {

// L = mean over all elements of (pred - target)^2.
template <typename T>
class MSELoss : public Lockable {
 public:
  T forward(MatrixView<const T> pred, MatrixView<const T> target);
  void backward(MatrixView<T> grad) const;
  Matrix<T> backward() const;
  static void check(index_t rows, index_t cols, MatrixView<const T> target);

 private:
  Matrix<T> pred_, target_;
  bool ready_ = false;
};

// Softmax followed by cross-entropy, mean over the batch, stable for huge logits.
// Targets are integer labels (batch) in [0, classes), or class probabilities (batch, classes).
template <typename T>
class SoftmaxCrossEntropyLoss : public Lockable {
 public:
  // labels points to logits.rows() values, or is a vector of that many (else ShapeError);
  // out-of-range labels throw std::invalid_argument.
  T forward(MatrixView<const T> logits, const std::int64_t* labels);
  T forward(MatrixView<const T> logits, const std::vector<int>& labels);
  T forward(MatrixView<const T> logits, const std::vector<std::int64_t>& labels);
  T forward(MatrixView<const T> logits, MatrixView<const T> target_probabilities);
  void backward(MatrixView<T> grad) const;
  Matrix<T> backward() const;
  static void check(index_t rows, index_t classes, const std::int64_t* labels);
  static void check(index_t rows, index_t classes, const std::vector<int>& labels);
  static void check(index_t rows, index_t classes, const std::vector<std::int64_t>& labels);
  static void check(index_t rows, index_t classes, MatrixView<const T> target_probabilities);

 private:
  T forward_labels(MatrixView<const T> logits);  // the labels checked and copied into labels_
  Matrix<T> probs_, soft_target_;
  std::vector<std::int64_t> labels_;
  bool soft_ = false, ready_ = false;
};

// Sigmoid followed by binary cross-entropy, mean over all elements, in the stable form
// max(z, 0) - z t + log(1 + exp(-|z|)).
template <typename T>
class BCEWithLogitsLoss : public Lockable {
 public:
  T forward(MatrixView<const T> logits, MatrixView<const T> target);
  void backward(MatrixView<T> grad) const;
  Matrix<T> backward() const;
  static void check(index_t rows, index_t cols, MatrixView<const T> target);

 private:
  Matrix<T> logits_, target_;
  bool ready_ = false;
};

}  // namespace densenn
