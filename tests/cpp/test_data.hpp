// Test data and bitwise comparison shared by the C++ tests.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "densenn/matrix.hpp"
#include "naive.hpp"

namespace testing {

// A rows x cols matrix of seeded values in [lo, hi) (naive::values).
template <typename T>
densenn::Matrix<T> matrix(densenn::index_t rows, densenn::index_t cols, std::uint64_t seed, double lo = -1,
                          double hi = 1) {
  densenn::Matrix<T> m(rows, cols);
  const auto v = naive::values<T>(rows * cols, seed, lo, hi);
  std::copy(v.begin(), v.end(), m.data());
  return m;
}

// Bitwise equality of n values (memcmp is not called with n == 0: the pointers may then be null).
template <typename T>
bool same_bits(const T* a, const T* b, std::size_t n) {
  return n == 0 || std::memcmp(a, b, n * sizeof(T)) == 0;
}

template <typename T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && same_bits(a.data(), b.data(), a.size());
}

template <typename T>
bool same_bits(densenn::MatrixView<const T> a, densenn::MatrixView<const T> b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && same_bits(a.data(), b.data(), std::size_t(a.size()));
}

}  // namespace testing
