// FrozenNet<T> against the network it was frozen from (and long-double sums): every layout, SIMD
// level and width around the vector sizes; a snapshot; errors.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "check.hpp"
#include "densenn/densenn.hpp"
#include "simd.hpp"
#include "test_data.hpp"

using namespace densenn;
using detail::SimdLevel;
using testing::matrix;

// Each output of `net` computed in long double from its weights, for the rows of x.
template <typename T>
std::vector<long double> exact(Sequential<T>& net, const Matrix<T>& x, std::vector<long double>* scale) {
  std::vector<long double> row, mag;
  std::vector<long double> all;
  scale->clear();
  for (index_t r = 0; r < x.rows(); ++r) {
    row.assign(x.data() + r * x.cols(), x.data() + (r + 1) * x.cols());
    mag.assign(row.size(), 0);
    for (std::size_t k = 0; k < row.size(); ++k) mag[k] = std::fabs(row[k]);
    for (index_t i = 0; i < net.size(); ++i) {
      if (auto* d = dynamic_cast<Dense<T>*>(&net[i])) {
        std::vector<long double> next(std::size_t(d->out_features())), next_mag(next.size());
        for (index_t j = 0; j < d->out_features(); ++j) {
          long double s = d->has_bias() ? d->bias()[j] : 0, m = std::fabs(s);
          for (index_t k = 0; k < d->in_features(); ++k) {
            s += (long double)d->weight()(j, k) * row[std::size_t(k)];
            m += std::fabs((long double)d->weight()(j, k)) * mag[std::size_t(k)];
          }
          next[std::size_t(j)] = s;
          next_mag[std::size_t(j)] = m;
        }
        row = next;
        mag = next_mag;
      } else {  // ReLU
        for (auto& v : row) v = v < 0 ? 0 : v;
      }
    }
    all.insert(all.end(), row.begin(), row.end());
    scale->insert(scale->end(), mag.begin(), mag.end());
  }
  return all;
}

template <typename T>
void check_frozen(const std::string& kinds, const std::vector<index_t>& widths, index_t rows) {
  Sequential<T> net;
  std::size_t d = 0;
  for (char kind : kinds) {
    if (kind == 'D') {
      net.add(Dense<T>(widths[d], widths[d + 1], 3 + d, Init::he, d % 2 == 0));
      ++d;
    } else {
      net.add(ReLU<T>());
    }
  }
  const Matrix<T> x = matrix<T>(rows, widths.front(), 31);
  std::vector<long double> scale;
  const std::vector<long double> want = exact(net, x, &scale);
  const T eps = std::numeric_limits<T>::epsilon();
  for (SimdLevel level : {SimdLevel::scalar, SimdLevel::avx2, SimdLevel::avx512}) {
    if (int(level) > int(detail::best_simd_level())) continue;
    detail::set_simd_level(level);
    check::context = std::string(sizeof(T) == 4 ? "float " : "double ") + simd_level() + " " + kinds + " rows " +
                     std::to_string(rows) + " widths " + std::to_string(widths.front()) + ".." +
                     std::to_string(widths.back());
    const FrozenNet<T> frozen(net);
    CHECK(frozen.in_features() == widths.front() && frozen.out_features() == widths.back());
    const Matrix<T> y = frozen.predict(x);
    const MatrixView<const T> y_net = net.predict(x);
    bool ok = y.rows() == rows && y.cols() == widths.back();
    for (index_t k = 0; ok && k < y.size(); ++k) {
      // a few roundings per layer of sums of |terms| at most `scale`
      const long double bound = 4 * (widths.size() + 1) * (*std::max_element(widths.begin(), widths.end()) + 2) *
                                (long double)eps * scale[std::size_t(k)];
      ok = std::fabs(y.data()[k] - want[std::size_t(k)]) <= bound &&
           std::fabs((long double)y.data()[k] - y_net.data()[k]) <= 2 * bound;
    }
    CHECK(ok);
  }
  detail::set_simd_level(detail::best_simd_level());
}

TEST(frozen_net_matches_the_network) {
  for (index_t rows : {1, 2, 5}) {
    check_frozen<float>("DRDRD", {16, 64, 64, 1}, rows);  // the tiny benchmark net
    check_frozen<double>("DRDRD", {16, 64, 64, 1}, rows);
    // widths around the vector sizes (4, 8, 16) and the 4-vector blocks, odd input widths
    check_frozen<float>("DRDRDRD", {7, 15, 17, 65, 3}, rows);
    check_frozen<double>("DRDRDRD", {7, 15, 17, 65, 3}, rows);
    check_frozen<float>("RDRRDR", {33, 31, 1}, rows);  // a ReLU first, two in a row, one last
    check_frozen<double>("D", {1, 9}, rows);           // one input
    check_frozen<float>("DRD", {300, 129, 40}, rows);
  }
}

TEST(frozen_net_is_a_snapshot) {
  Sequential<float> net;
  net.add(Dense<float>(8, 20, 1)).add(ReLU<float>()).add(Dense<float>(20, 4, 2));
  const Matrix<float> x = matrix<float>(3, 8, 5);
  const FrozenNet<float> frozen(net);
  const Matrix<float> before = frozen.predict(x);
  dynamic_cast<Dense<float>&>(net[0]).weight()(0, 0) += 1.0f;  // the network changes afterwards
  const Matrix<float> after = frozen.predict(x);
  CHECK(std::equal(before.data(), before.data() + before.size(), after.data()));
  CHECK(!std::equal(before.data(), before.data() + before.size(), net.predict(x).data()));
}

TEST(frozen_net_copies_predict_as_the_original) {
  // Copies land at buffers of any alignment: each must still find its weights (a vector of them,
  // copy assignment, and the copy of an object holding one).
  Sequential<float> net;
  net.add(Dense<float>(4, 32, 1)).add(ReLU<float>()).add(Dense<float>(32, 3, 2));
  const Matrix<float> x = matrix<float>(5, 4, 7);
  const FrozenNet<float> frozen(net);
  const Matrix<float> want = frozen.predict(x);
  const auto same = [&](const FrozenNet<float>& copy) {
    const Matrix<float> y = copy.predict(x);
    return std::equal(want.data(), want.data() + want.size(), y.data());
  };
  std::vector<std::vector<char>> shifts;  // allocations in between, so the copies start anywhere
  std::vector<FrozenNet<float>> copies;
  for (int k = 0; k < 16; ++k) {
    shifts.emplace_back(std::size_t(8 * k + 8));
    copies.push_back(frozen);
  }
  for (const FrozenNet<float>& copy : copies) CHECK(same(copy));
  FrozenNet<float> assigned = copies[3];
  assigned = copies[5];
  CHECK(same(assigned));
  struct Holder {
    FrozenNet<float> net;
  };
  const Holder holder{frozen};
  const Holder copied = holder;
  CHECK(same(copied.net));
  FrozenNet<float> moved = std::move(copies[0]);
  CHECK(same(moved));
  Sequential<double> net64;
  net64.add(Dense<double>(3, 17, 4)).add(ReLU<double>()).add(Dense<double>(17, 2, 5));
  const FrozenNet<double> frozen64(net64);
  const Matrix<double> x64 = matrix<double>(3, 3, 8), want64 = frozen64.predict(x64);
  std::vector<FrozenNet<double>> copies64(9, frozen64);
  for (const FrozenNet<double>& copy : copies64) {
    const Matrix<double> y = copy.predict(x64);
    CHECK(std::equal(want64.data(), want64.data() + want64.size(), y.data()));
  }
}

TEST(frozen_net_errors) {
  Sequential<float> net;
  net.add(Dense<float>(4, 3, 1)).add(Tanh<float>());
  CHECK_THROWS_WITH(FrozenNet<float>{net}, std::invalid_argument, "layer 1 is tanh");
  Sequential<float> relus;
  relus.add(ReLU<float>());
  CHECK_THROWS_WITH(FrozenNet<float>{relus}, std::invalid_argument, "no dense layer");
  Sequential<float> ok;
  ok.add(Dense<float>(4, 3, 1));
  const FrozenNet<float> frozen(ok);
  CHECK_THROWS_WITH(frozen.predict(matrix<float>(2, 5, 1)), ShapeError, "expected input with 4 features");
  Matrix<float> y(2, 2);
  CHECK_THROWS_WITH(frozen.predict(matrix<float>(2, 4, 1), y.view()), ShapeError, "expected output of shape (2, 3)");
  CHECK(frozen.predict(matrix<float>(0, 4, 1)).rows() == 0);
}
