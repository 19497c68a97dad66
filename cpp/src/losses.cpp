// The three losses: shape and label checks, a copy of what backward needs, calls into the kernels.
#include "densenn/losses.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "densenn/kernels.hpp"
#include "kernels_internal.hpp"

namespace densenn {

namespace {

template <typename T>
void check_same_shape(const char* loss, index_t rows, index_t cols, MatrixView<const T> target) {
  if (rows != target.rows() || cols != target.cols())
    throw ShapeError(std::string(loss) + ": target must have the shape of the prediction, expected " +
                     shape_string(rows, cols) + ", got " + shape_string(target.rows(), target.cols()));
}

// Cross-entropy needs at least one class for every sample.
void check_classes(index_t rows, index_t classes) {
  if (rows > 0 && classes < 1)
    throw ShapeError("SoftmaxCrossEntropyLoss: logits need at least one class, got shape " + shape_string(rows, classes));
}

template <typename T>
void copy_into(Matrix<T>& dst, MatrixView<const T> src) {
  dst.resize(src.rows(), src.cols());
  detail::copy(dst.data(), src.data(), src.size());
}

template <typename T>
void check_grad(const char* loss, bool ready, MatrixView<T> grad, index_t rows, index_t cols) {
  if (!ready) throw StateError(std::string(loss) + ": backward called before forward");
  if (grad.rows() != rows || grad.cols() != cols)
    throw ShapeError(std::string(loss) + ": gradient buffer must have shape " + shape_string(rows, cols) + ", got " +
                     shape_string(grad.rows(), grad.cols()));
}

}  // namespace

// ---- MSELoss ------------------------------------------------------------------------------------

template <typename T>
void MSELoss<T>::check(index_t rows, index_t cols, MatrixView<const T> target) {
  check_same_shape("MSELoss", rows, cols, target);
}

template <typename T>
T MSELoss<T>::forward(MatrixView<const T> pred, MatrixView<const T> target) {
  check(pred.rows(), pred.cols(), target);
  copy_into(pred_, pred);
  copy_into(target_, target);
  ready_ = true;
  return mse_loss_forward(pred.data(), target.data(), pred.size());
}

template <typename T>
void MSELoss<T>::backward(MatrixView<T> grad) const {
  check_grad("MSELoss", ready_, grad, pred_.rows(), pred_.cols());
  mse_loss_backward(grad.data(), pred_.data(), target_.data(), pred_.size());
}

template <typename T>
Matrix<T> MSELoss<T>::backward() const {
  Matrix<T> grad(pred_.rows(), pred_.cols());
  backward(grad.view());
  return grad;
}

// ---- SoftmaxCrossEntropyLoss --------------------------------------------------------------------

namespace {
// `count` labels, which must be one per row of the logits, each in [0, classes).
template <typename Label>
void check_labels(index_t rows, index_t classes, const Label* labels, index_t count) {
  if (count != rows)
    throw ShapeError("SoftmaxCrossEntropyLoss: expected " + std::to_string(rows) + " labels, got " +
                     std::to_string(count));
  check_classes(rows, classes);
  for (index_t r = 0; r < rows; ++r) {
    if (labels[r] < 0 || labels[r] >= classes)
      throw std::invalid_argument("SoftmaxCrossEntropyLoss: label " + std::to_string(labels[r]) + " at index " +
                                  std::to_string(r) + " is out of range for " + std::to_string(classes) + " classes");
  }
}
}  // namespace

template <typename T>
void SoftmaxCrossEntropyLoss<T>::check(index_t rows, index_t classes, const std::int64_t* labels) {
  check_labels(rows, classes, labels, rows);
}

template <typename T>
void SoftmaxCrossEntropyLoss<T>::check(index_t rows, index_t classes, const std::vector<int>& labels) {
  check_labels(rows, classes, labels.data(), index_t(labels.size()));
}

template <typename T>
void SoftmaxCrossEntropyLoss<T>::check(index_t rows, index_t classes, const std::vector<std::int64_t>& labels) {
  check_labels(rows, classes, labels.data(), index_t(labels.size()));
}

template <typename T>
void SoftmaxCrossEntropyLoss<T>::check(index_t rows, index_t classes, MatrixView<const T> target_probabilities) {
  check_same_shape("SoftmaxCrossEntropyLoss", rows, classes, target_probabilities);
  check_classes(rows, classes);
}

template <typename T>
T SoftmaxCrossEntropyLoss<T>::forward(MatrixView<const T> logits, const std::int64_t* labels) {
  check(logits.rows(), logits.cols(), labels);
  labels_.assign(labels, labels + logits.rows());
  return forward_labels(logits);
}

template <typename T>
T SoftmaxCrossEntropyLoss<T>::forward(MatrixView<const T> logits, const std::vector<int>& labels) {
  check(logits.rows(), logits.cols(), labels);
  labels_.assign(labels.begin(), labels.end());  // widened into the buffer kept across calls
  return forward_labels(logits);
}

template <typename T>
T SoftmaxCrossEntropyLoss<T>::forward(MatrixView<const T> logits, const std::vector<std::int64_t>& labels) {
  check(logits.rows(), logits.cols(), labels);
  labels_.assign(labels.begin(), labels.end());
  return forward_labels(logits);
}

template <typename T>
T SoftmaxCrossEntropyLoss<T>::forward_labels(MatrixView<const T> logits) {
  probs_.resize(logits.rows(), logits.cols());
  soft_ = false;
  ready_ = true;
  return softmax_cross_entropy_forward(probs_.data(), logits.data(), labels_.data(), logits.rows(), logits.cols());
}

template <typename T>
T SoftmaxCrossEntropyLoss<T>::forward(MatrixView<const T> logits, MatrixView<const T> target_probabilities) {
  check(logits.rows(), logits.cols(), target_probabilities);
  copy_into(soft_target_, target_probabilities);
  probs_.resize(logits.rows(), logits.cols());
  soft_ = true;
  ready_ = true;
  return softmax_cross_entropy_soft_forward(probs_.data(), logits.data(), soft_target_.data(), logits.rows(),
                                            logits.cols());
}

template <typename T>
void SoftmaxCrossEntropyLoss<T>::backward(MatrixView<T> grad) const {
  check_grad("SoftmaxCrossEntropyLoss", ready_, grad, probs_.rows(), probs_.cols());
  if (soft_)
    softmax_cross_entropy_soft_backward(grad.data(), probs_.data(), soft_target_.data(), probs_.rows(), probs_.cols());
  else
    softmax_cross_entropy_backward(grad.data(), probs_.data(), labels_.data(), probs_.rows(), probs_.cols());
}

template <typename T>
Matrix<T> SoftmaxCrossEntropyLoss<T>::backward() const {
  Matrix<T> grad(probs_.rows(), probs_.cols());
  backward(grad.view());
  return grad;
}

// ---- BCEWithLogitsLoss --------------------------------------------------------------------------

template <typename T>
void BCEWithLogitsLoss<T>::check(index_t rows, index_t cols, MatrixView<const T> target) {
  check_same_shape("BCEWithLogitsLoss", rows, cols, target);
}

template <typename T>
T BCEWithLogitsLoss<T>::forward(MatrixView<const T> logits, MatrixView<const T> target) {
  check(logits.rows(), logits.cols(), target);
  copy_into(logits_, logits);
  copy_into(target_, target);
  ready_ = true;
  return bce_with_logits_forward(logits.data(), target.data(), logits.size());
}

template <typename T>
void BCEWithLogitsLoss<T>::backward(MatrixView<T> grad) const {
  check_grad("BCEWithLogitsLoss", ready_, grad, logits_.rows(), logits_.cols());
  bce_with_logits_backward(grad.data(), logits_.data(), target_.data(), logits_.size());
}

template <typename T>
Matrix<T> BCEWithLogitsLoss<T>::backward() const {
  Matrix<T> grad(logits_.rows(), logits_.cols());
  backward(grad.view());
  return grad;
}

template class MSELoss<float>;
template class MSELoss<double>;
template class SoftmaxCrossEntropyLoss<float>;
template class SoftmaxCrossEntropyLoss<double>;
template class BCEWithLogitsLoss<float>;
template class BCEWithLogitsLoss<double>;

}  // namespace densenn
