// Row-major matrices: the owning Matrix<T> and the non-owning MatrixView<T>.
//
// Convention used everywhere in densenn: one sample per row, so a batch is (batch, features),
// and a dense layer's weight is (out_features, in_features) as in torch.nn.Linear: Y = X W^T + b.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "densenn/errors.hpp"

namespace densenn {

using index_t = std::ptrdiff_t;

// "(rows, cols)", for error messages.
inline std::string shape_string(index_t rows, index_t cols) {
  return "(" + std::to_string(rows) + ", " + std::to_string(cols) + ")";
}

// rows * cols, refusing negative sizes and products that overflow index_t.
inline index_t checked_size(index_t rows, index_t cols) {
  if (rows < 0 || cols < 0) throw ShapeError("negative matrix shape " + shape_string(rows, cols));
  // Two sizes below 2^31 (on 64 bits) cannot overflow: skip the division, which costs more than
  // the whole of a small layer's work when every call checks its shapes.
  constexpr index_t small = index_t(1) << (sizeof(index_t) * 4 - 1);
  if ((rows >= small || cols >= small) && cols != 0 && rows > std::numeric_limits<index_t>::max() / cols)
    throw ShapeError("matrix shape " + shape_string(rows, cols) + " is too large");
  return rows * cols;
}

// A non-owning view of a row-major (rows, cols) buffer, like Eigen::Map. T may be const.
template <typename T>
class MatrixView {
 public:
  MatrixView() = default;
  MatrixView(T* data, index_t rows, index_t cols) : data_(data), rows_(rows), cols_(cols) {
    checked_size(rows, cols);
  }
  // A view of mutable data is also a view of const data.
  template <typename U, typename = std::enable_if_t<std::is_same_v<const U, T> && !std::is_same_v<U, T>>>
  MatrixView(MatrixView<U> other) : data_(other.data()), rows_(other.rows()), cols_(other.cols()) {}

  T* data() const { return data_; }
  index_t rows() const { return rows_; }
  index_t cols() const { return cols_; }
  index_t size() const { return rows_ * cols_; }
  T& operator()(index_t r, index_t c) const { return data_[r * cols_ + c]; }
  T* row(index_t r) const { return data_ + r * cols_; }

 private:
  T* data_ = nullptr;
  index_t rows_ = 0;
  index_t cols_ = 0;
};

// An owning, zero-initialised row-major (rows, cols) matrix. Converts to MatrixView<T> and
// MatrixView<const T>, so every call that takes a view also takes a Matrix.
template <typename T>
class Matrix {
 public:
  Matrix() = default;
  Matrix(index_t rows, index_t cols) : storage_(static_cast<std::size_t>(checked_size(rows, cols))), rows_(rows), cols_(cols) {}
  // A copy of a view's values: Matrix<float> kept = net.predict(x);
  template <typename U, typename = std::enable_if_t<std::is_same_v<std::remove_const_t<U>, T>>>
  Matrix(MatrixView<U> view)  // NOLINT: implicit on purpose, as a copy of what the view shows
      : storage_(view.data(), view.data() + view.size()), rows_(view.rows()), cols_(view.cols()) {}

  // Changes the shape; keeps the allocation when it is large enough (contents unspecified).
  void resize(index_t rows, index_t cols) {
    storage_.resize(static_cast<std::size_t>(checked_size(rows, cols)));
    rows_ = rows;
    cols_ = cols;
  }

  T* data() { return storage_.data(); }
  const T* data() const { return storage_.data(); }
  index_t rows() const { return rows_; }
  index_t cols() const { return cols_; }
  index_t size() const { return rows_ * cols_; }
  T& operator()(index_t r, index_t c) { return storage_[static_cast<std::size_t>(r * cols_ + c)]; }
  const T& operator()(index_t r, index_t c) const { return storage_[static_cast<std::size_t>(r * cols_ + c)]; }

  MatrixView<T> view() { return {data(), rows_, cols_}; }
  MatrixView<const T> view() const { return {data(), rows_, cols_}; }
  operator MatrixView<T>() { return view(); }
  operator MatrixView<const T>() const { return view(); }

 private:
  std::vector<T> storage_;
  index_t rows_ = 0;
  index_t cols_ = 0;
};

}  // namespace densenn
