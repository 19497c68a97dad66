// The fast dense kernels against the naive loops and the exact sums, at every SIMD level this CPU has.
//
// Shapes are chosen to hit every edge of the blocking: ones, primes, batch 0, and sizes one below,
// at and one above the register tiles (12 x 32 for AVX-512, 6 x 16 for AVX2, 4 x 4 scalar) and the
// cache blocks (KC = 256 values of k, MC = 240 rows, NC = 512 or 256 columns).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "check.hpp"
#include "densenn/densenn.hpp"
#include "kernels_internal.hpp"
#include "kernels_naive.hpp"
#include "naive.hpp"
#include "simd.hpp"
#include "test_data.hpp"

namespace dn = densenn;
using dn::index_t;
using dn::detail::SimdLevel;
using Real = long double;
using testing::same_bits;

const SimdLevel kLevels[] = {SimdLevel::scalar, SimdLevel::avx2, SimdLevel::avx512};

// The levels this CPU runs; each test restores the level it found.
std::vector<SimdLevel> available_levels() {
  std::vector<SimdLevel> levels;
  for (SimdLevel level : kLevels)
    if (int(level) <= int(dn::detail::best_simd_level())) levels.push_back(level);
  return levels;
}

template <typename T>
std::vector<T> nans(index_t n) {
  return std::vector<T>(n, std::numeric_limits<T>::quiet_NaN());
}

// Every value of `got` within the rounding-error bound of a sum of k products: whatever the order
// in which it was summed, |got - exact| <= (k + 2) eps (sum of |products| + |bias|). `scale`
// holds that sum of magnitudes for each element.
template <typename T>
bool within_rounding(const T* got, const naive::Vec& exact, const naive::Vec& scale, index_t k, std::string& where) {
  const Real eps = std::numeric_limits<T>::epsilon();
  for (std::size_t e = 0; e < exact.size(); ++e) {
    const Real bound = Real(k + 2) * eps * scale[e] + std::numeric_limits<T>::min();
    if (!(std::fabs(Real(got[e]) - exact[e]) <= bound)) {
      where = "element " + std::to_string(e) + ": got " + std::to_string(double(got[e])) + ", exact " +
              std::to_string(double(exact[e]));
      return false;
    }
  }
  return true;
}

// Sums of |products|, the scale of each element's rounding error: the same loops on absolute values.
template <typename T>
std::vector<T> absolute(const std::vector<T>& v) {
  std::vector<T> a(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) a[i] = std::fabs(v[i]);
  return a;
}

template <typename T>
void check_shape(index_t batch, index_t in, index_t out) {
  const std::string shape = std::to_string(batch) + ", " + std::to_string(in) + ", " + std::to_string(out);
  const auto x = naive::values<T>(batch * in, 1), w = naive::values<T>(out * in, 2);
  const auto b = naive::values<T>(out, 3), dy = naive::values<T>(batch * out, 4);
  const auto ax = absolute(x), aw = absolute(w), ab = absolute(b), ady = absolute(dy);
  const naive::Vec y_exact = naive::dense_forward(x.data(), w.data(), b.data(), batch, in, out);
  const naive::Vec y_scale = naive::dense_forward(ax.data(), aw.data(), ab.data(), batch, in, out);
  const naive::Vec dx_exact = naive::dense_backward_input(dy.data(), w.data(), batch, in, out);
  const naive::Vec dx_scale = naive::dense_backward_input(ady.data(), aw.data(), batch, in, out);
  const naive::Vec dw_exact = naive::dense_backward_weight(dy.data(), x.data(), batch, in, out);
  const naive::Vec dw_scale = naive::dense_backward_weight(ady.data(), ax.data(), batch, in, out);

  // The naive kernels themselves, and then the fast ones at each level, against the exact sums.
  auto y = nans<T>(batch * out), dx = nans<T>(batch * in), dw = nans<T>(out * in);
  std::string where;
  check::context = std::string(std::is_same_v<T, float> ? "float" : "double") + " naive (batch, in, out) = " + shape;
  dn::naive::dense_forward(y.data(), x.data(), w.data(), b.data(), batch, in, out);
  CHECK(within_rounding(y.data(), y_exact, y_scale, in, where) || (check::context += " " + where, false));
  const std::vector<T> y_naive = y;
  for (SimdLevel level : available_levels()) {
    dn::detail::set_simd_level(level);
    check::context = std::string(std::is_same_v<T, float> ? "float " : "double ") + dn::simd_level() +
                     " (batch, in, out) = " + shape;
    y = nans<T>(batch * out), dx = nans<T>(batch * in), dw = nans<T>(out * in);
    dn::dense_forward(y.data(), x.data(), w.data(), b.data(), batch, in, out);
    CHECK(within_rounding(y.data(), y_exact, y_scale, in, where) || (check::context += " forward " + where, false));
    dn::dense_backward_input(dx.data(), dy.data(), w.data(), batch, in, out);
    CHECK(within_rounding(dx.data(), dx_exact, dx_scale, out, where) ||
          (check::context += " backward_input " + where, false));
    dn::dense_backward_weight(dw.data(), dy.data(), x.data(), batch, in, out);
    CHECK(within_rounding(dw.data(), dw_exact, dw_scale, batch, where) ||
          (check::context += " backward_weight " + where, false));
    // Against the naive kernel directly: both are within rounding of the exact sum.
    const Real eps = std::numeric_limits<T>::epsilon();
    bool close = true;
    for (std::size_t e = 0; e < y.size(); ++e)
      close = close && std::fabs(Real(y[e]) - Real(y_naive[e])) <= 2 * Real(in + 2) * eps * y_scale[e] +
                                                                     std::numeric_limits<T>::min();
    CHECK(close);

    // Without bias; and the ReLU fused into the forward pass gives the bits of forward + relu.
    auto y_plain = nans<T>(batch * out), y_relu = nans<T>(batch * out), y_want = nans<T>(batch * out);
    dn::dense_forward(y_plain.data(), x.data(), w.data(), static_cast<const T*>(nullptr), batch, in, out);
    naive::Vec exact_plain = y_exact;
    for (index_t n = 0; n < batch; ++n)
      for (index_t j = 0; j < out; ++j) exact_plain[n * out + j] -= Real(b[j]);
    CHECK(within_rounding(y_plain.data(), exact_plain, y_scale, in, where) ||
          (check::context += " forward without bias " + where, false));
    dn::detail::dense_forward_act(y_relu.data(), x.data(), w.data(), b.data(), batch, in, out, true);
    dn::relu_forward(y_want.data(), y.data(), batch * out);
    CHECK(std::equal(y_relu.begin(), y_relu.end(), y_want.begin(), [](T a, T b) {  // bitwise, empty allowed
      return std::memcmp(&a, &b, sizeof(T)) == 0;
    }));
  }
  dn::detail::set_simd_level(dn::detail::best_simd_level());
}

TEST(fast_dense_kernels_match_naive_at_every_simd_level) {
  const index_t shapes[][3] = {
      // ones, primes, empty batches
      {1, 1, 1}, {1, 5, 3}, {4, 1, 6}, {5, 6, 1}, {7, 13, 11}, {13, 7, 17}, {0, 4, 3}, {0, 1, 1}, {2, 3, 2},
      {0, 100, 2},  // an empty batch through the unpacked product: no offset to X's null data
      // batch-1 inference of the benchmark's small nets, and their training shapes
      {1, 16, 64}, {1, 64, 64}, {1, 64, 1}, {32, 64, 32}, {32, 32, 10},
      // around the register tiles: rows 5..13, columns 15..33, SIMD widths 4, 8, 16
      {11, 15, 31}, {12, 16, 32}, {13, 17, 33}, {5, 9, 7}, {6, 8, 16}, {7, 31, 17}, {25, 33, 47},
      // around the cache blocks: k = 255..257 for each product, 239..241 rows, 511..513 columns
      {3, 255, 9}, {3, 257, 9}, {9, 7, 256}, {9, 7, 257}, {257, 5, 9}, {255, 5, 9},
      {241, 9, 7}, {7, 9, 241}, {3, 513, 17}, {3, 17, 513}, {3, 17, 257},
      // large enough to be split over threads (A packed once for all of them): one and several
      // k blocks and row blocks, a last sliver of A partly filled
      {128, 300, 70}, {250, 300, 70}, {26, 600, 140}};
  for (const auto& s : shapes) {
    check_shape<float>(s[0], s[1], s[2]);
    check_shape<double>(s[0], s[1], s[2]);
  }
}

// A NaN or infinity in the input reaches exactly the outputs whose sums contain it, through every
// path (the dot-product one for a single row, the packed one otherwise), and ReLU keeps NaN.
template <typename T>
void check_non_finite(index_t batch) {
  const index_t in = 37, out = 21;
  auto x = naive::values<T>(batch * in, 5);
  const auto w = naive::values<T>(out * in, 6), b = naive::values<T>(out, 7);
  x[3] = std::numeric_limits<T>::quiet_NaN();  // row 0
  std::vector<T> y(batch * out), relu_y(batch * out);
  for (SimdLevel level : available_levels()) {
    dn::detail::set_simd_level(level);
    check::context = std::string(dn::simd_level()) + " batch " + std::to_string(batch);
    dn::dense_forward(y.data(), x.data(), w.data(), b.data(), batch, in, out);
    dn::detail::dense_forward_act(relu_y.data(), x.data(), w.data(), b.data(), batch, in, out, true);
    bool ok = true;
    for (index_t n = 0; n < batch; ++n)
      for (index_t j = 0; j < out; ++j) {
        const bool want_nan = n == 0;
        ok = ok && std::isnan(y[n * out + j]) == want_nan && std::isnan(relu_y[n * out + j]) == want_nan;
        ok = ok && (want_nan || relu_y[n * out + j] == (y[n * out + j] < 0 ? T(0) : y[n * out + j]));
      }
    CHECK(ok);
  }
  dn::detail::set_simd_level(dn::detail::best_simd_level());
}

TEST(non_finite_values_propagate) {
  for (index_t batch : {1, 2, 30}) {
    check_non_finite<float>(batch);
    check_non_finite<double>(batch);
  }
}

// The four dense kernels' outputs, concatenated, with `threads` threads.
template <typename T>
std::vector<T> outputs(int threads, index_t batch, index_t in, index_t out) {
  dn::set_num_threads(threads);
  const auto x = naive::values<T>(batch * in, 8), w = naive::values<T>(out * in, 9);
  const auto b = naive::values<T>(out, 10), dy = naive::values<T>(batch * out, 11);
  std::vector<T> y(batch * out), r(batch * out), dx(batch * in), dw(out * in);
  dn::dense_forward(y.data(), x.data(), w.data(), b.data(), batch, in, out);
  dn::detail::dense_forward_act(r.data(), x.data(), w.data(), b.data(), batch, in, out, true);
  dn::dense_backward_input(dx.data(), dy.data(), w.data(), batch, in, out);
  dn::dense_backward_weight(dw.data(), dy.data(), x.data(), batch, in, out);
  for (const auto* part : {&r, &dx, &dw}) y.insert(y.end(), part->begin(), part->end());
  return y;
}

template <typename T>
void check_thread_counts() {
  // Split by columns, by rows, a single row (the dot-product path), and uneven panel counts.
  const index_t shapes[][3] = {{128, 300, 70}, {600, 70, 64}, {1, 2048, 1100}, {2, 1100, 1023}, {97, 513, 129}};
  for (SimdLevel level : available_levels()) {
    dn::detail::set_simd_level(level);
    for (const auto& s : shapes) {
      check::context = std::string(std::is_same_v<T, float> ? "float " : "double ") + dn::simd_level() + " shape " +
                       std::to_string(s[0]) + ", " + std::to_string(s[1]) + ", " + std::to_string(s[2]);
      const auto one = outputs<T>(1, s[0], s[1], s[2]);
      for (int threads : {2, 3, 4}) {
        const auto many = outputs<T>(threads, s[0], s[1], s[2]);
        CHECK(std::memcmp(one.data(), many.data(), one.size() * sizeof(T)) == 0);
      }
    }
  }
  dn::detail::set_simd_level(dn::detail::best_simd_level());
}

TEST(fast_kernels_bitwise_identical_for_any_thread_count) {
  const int saved = dn::get_num_threads();
  check_thread_counts<float>();
  check_thread_counts<double>();
  dn::set_num_threads(saved);
}

// The elementwise kernels, the bias gradient and the losses over 600000 values (enough to be split
// over threads), concatenated, with `threads` threads.
template <typename T>
std::vector<T> elementwise_outputs(int threads) {
  dn::set_num_threads(threads);
  const index_t rows = 600, cols = 1000, n = rows * cols;
  const auto x = naive::values<T>(n, 12), dy = naive::values<T>(n, 13), y = naive::values<T>(n, 14);
  std::vector<T> all;
  std::vector<T> out(n);
  const auto keep = [&] { all.insert(all.end(), out.begin(), out.end()); };
  dn::relu_forward(out.data(), x.data(), n), keep();
  dn::relu_backward(out.data(), dy.data(), x.data(), n), keep();
  dn::leaky_relu_forward(out.data(), x.data(), T(0.1), n), keep();
  dn::leaky_relu_backward(out.data(), dy.data(), x.data(), T(0.1), n), keep();
  dn::sigmoid_forward(out.data(), x.data(), n), keep();
  dn::sigmoid_backward(out.data(), dy.data(), y.data(), n), keep();
  dn::tanh_forward(out.data(), x.data(), n), keep();
  dn::tanh_backward(out.data(), dy.data(), y.data(), n), keep();
  dn::mse_loss_backward(out.data(), x.data(), y.data(), n), keep();
  std::vector<T> p = x;
  dn::sgd_update(p.data(), dy.data(), T(0.25), n);
  all.insert(all.end(), p.begin(), p.end());
  std::vector<T> db(cols);
  dn::dense_backward_bias(db.data(), dy.data(), rows, cols);
  all.insert(all.end(), db.begin(), db.end());
  all.push_back(dn::mse_loss_forward(x.data(), y.data(), n));
  return all;
}

TEST(elementwise_kernels_bitwise_identical_for_any_thread_count) {
  const int saved = dn::get_num_threads();
  const auto one = elementwise_outputs<float>(1);
  const auto one_d = elementwise_outputs<double>(1);
  for (int threads : {2, 3}) {
    CHECK(same_bits(one, elementwise_outputs<float>(threads)));
    CHECK(same_bits(one_d, elementwise_outputs<double>(threads)));
  }
  dn::set_num_threads(saved);
}

// DENSENN_SIMD picks a lower level (ctest runs this test again with it set); without it, or with
// an unknown name, the best level is used. Levels the CPU lacks are refused.
TEST(simd_level_follows_environment) {
  const char* env = std::getenv("DENSENN_SIMD");
  const SimdLevel best = dn::detail::best_simd_level();
  SimdLevel want = best;
  for (SimdLevel level : kLevels)
    if (env && std::string(env) == dn::detail::simd_level_name(level) && int(level) < int(best)) want = level;
  check::context = std::string("DENSENN_SIMD=") + (env ? env : "(unset)");
  CHECK(std::string(dn::simd_level()) == dn::detail::simd_level_name(want));
  CHECK(dn::detail::set_simd_level(SimdLevel::scalar));
  CHECK(std::string(dn::simd_level()) == "scalar");
  if (best != SimdLevel::avx512) CHECK(!dn::detail::set_simd_level(SimdLevel::avx512));
  CHECK(dn::detail::set_simd_level(want));
}

// 65536 products of 0.1f summed: one running float sum drifts ~1e-3 away from the exact value;
// summed in blocks of KC (each from 0, then added in, as BLAS does) it stays within ~1e-5. Every
// product path: the blocked product (3 rows), the few-row kernels (1 row), and the weight gradient
// (a sum over the batch).
TEST(long_float_sums_are_summed_in_blocks) {
  const index_t n = 65536;
  const std::vector<float> ones(n * 3, 1.0f), tenths(n * 3, 0.1f);
  const double exact = double(n) * double(0.1f);
  const auto worst = [&](const std::vector<float>& v) {
    double e = 0;
    for (float x : v) e = std::max(e, std::fabs(double(x) - exact) / exact);
    return e;
  };
  for (SimdLevel level : available_levels()) {
    dn::detail::set_simd_level(level);
    check::context = std::string("simd ") + dn::simd_level();
    for (index_t batch : {1, 3}) {
      std::vector<float> y(batch * 2), dx(batch * 2);
      dn::dense_forward(y.data(), ones.data(), tenths.data(), static_cast<const float*>(nullptr), batch, n, 2);
      CHECK(worst(y) < 2e-5);
      dn::dense_backward_input(dx.data(), ones.data(), tenths.data(), batch, 2, n);  // dY (batch, n), W (n, 2)
      CHECK(worst(dx) < 2e-5);
    }
    std::vector<float> dw(3 * 2);
    dn::dense_backward_weight(dw.data(), tenths.data(), ones.data(), n, 3, 2);  // dY (n, 2), X (n, 3)
    CHECK(worst(dw) < 2e-5);
  }
  dn::detail::set_simd_level(dn::detail::best_simd_level());
}
