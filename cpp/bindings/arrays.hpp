// Conversions between NumPy arrays and densenn matrix views, shared by the binding files.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "densenn/matrix.hpp"

namespace densenn::bindings {

namespace py = pybind11;

// A C-contiguous array of T. pybind11 converts only when it is safe (never float64 -> float32,
// never complex -> real); the Python layer does the user-facing conversions before calling here.
template <typename T>
using CArray = py::array_t<T, py::array::c_style>;

// Kernels may use aligned loads: an array built over an odd byte offset is refused, not misread.
// An empty one is never read (and NumPy calls it aligned wherever it starts).
template <typename T>
void check_aligned(const CArray<T>& a, const char* name) {
  if (a.size() != 0 && reinterpret_cast<std::uintptr_t>(a.data()) % alignof(T) != 0)
    throw ShapeError(std::string(name) + " is not aligned for its dtype; pass a copy (np.require(a, requirements='A'))");
}

// The (rows, cols) view of a 2-D array; anything else is a ShapeError (ValueError).
template <typename T>
MatrixView<const T> matrix_view(const CArray<T>& a, const char* name) {
  if (a.ndim() != 2)
    throw ShapeError(std::string(name) + " must be 2-D (batch, features), got " + std::to_string(a.ndim()) + "-D");
  check_aligned(a, name);
  return {a.data(), a.shape(0), a.shape(1)};
}

// A new (rows, cols) array that belongs to the caller, and a view to fill it through.
template <typename T>
std::pair<py::array_t<T>, MatrixView<T>> new_matrix(index_t rows, index_t cols) {
  py::array_t<T> a({rows, cols});
  return {a, MatrixView<T>(a.mutable_data(), rows, cols)};
}

// A writable view of memory owned by `owner`, which the array keeps alive through its base.
template <typename T>
py::array_t<T> owned_view(T* data, std::vector<py::ssize_t> shape, py::handle owner) {
  return py::array_t<T>(shape, data, owner);
}

// The NumPy name of T: "float32" or "float64", used in the bound class names.
template <typename T>
constexpr const char* dtype_name() {
  return sizeof(T) == 4 ? "float32" : "float64";
}

}  // namespace densenn::bindings
