// Every kernel in densenn/kernels.hpp against the naive oracle, for float and double, on awkward shapes.
#include <cstring>
#include <limits>
#include <type_traits>

#include "check.hpp"
#include "densenn/densenn.hpp"
#include "naive.hpp"

using namespace densenn;

template <typename T>
constexpr long double tol = std::is_same_v<T, float> ? 1e-5L : 1e-12L;

// Outputs start as NaN, so a kernel that accumulates into them or skips an element fails.
template <typename T>
std::vector<T> garbage(index_t n) {
  return std::vector<T>(n, std::numeric_limits<T>::quiet_NaN());
}

template <typename T>
void set_context(const std::string& what) {
  check::context = (std::is_same_v<T, float> ? "float " : "double ") + what;
}

template <typename T>
void check_dense(index_t batch, index_t in, index_t out) {
  set_context<T>("dense batch, in, out = " + std::to_string(batch) + ", " + std::to_string(in) + ", " +
                 std::to_string(out));
  const auto x = naive::values<T>(batch * in, 1), w = naive::values<T>(out * in, 2);
  const auto b = naive::values<T>(out, 3), dy = naive::values<T>(batch * out, 4);
  auto y = garbage<T>(batch * out), dx = garbage<T>(batch * in), dw = garbage<T>(out * in), db = garbage<T>(out);

  dense_forward(y.data(), x.data(), w.data(), b.data(), batch, in, out);
  CHECK_ALL_NEAR(y.data(), naive::dense_forward(x.data(), w.data(), b.data(), batch, in, out).data(), y.size(), tol<T>);
  dense_backward_input(dx.data(), dy.data(), w.data(), batch, in, out);
  CHECK_ALL_NEAR(dx.data(), naive::dense_backward_input(dy.data(), w.data(), batch, in, out).data(), dx.size(), tol<T>);
  dense_backward_weight(dw.data(), dy.data(), x.data(), batch, in, out);
  CHECK_ALL_NEAR(dw.data(), naive::dense_backward_weight(dy.data(), x.data(), batch, in, out).data(), dw.size(), tol<T>);
  dense_backward_bias(db.data(), dy.data(), batch, out);
  CHECK_ALL_NEAR(db.data(), naive::dense_backward_bias(dy.data(), batch, out).data(), db.size(), tol<T>);
  if (batch == 0) CHECK(std::all_of(db.begin(), db.end(), [](T v) { return v == T(0); }));  // exact zeros

  auto p = w;
  sgd_update(p.data(), dw.data(), T(0.25), out * in);
  CHECK_ALL_NEAR(p.data(), naive::sgd(w.data(), dw.data(), 0.25L, out * in).data(), p.size(), tol<T>);
}

TEST(dense_kernels_match_naive) {
  // Ones, primes, empty batches, and (64, 300, 70), large enough to be split over threads.
  const index_t shapes[][3] = {{1, 1, 1}, {1, 5, 3}, {4, 1, 6}, {5, 6, 1}, {7, 13, 11},
                               {13, 7, 17}, {0, 4, 3}, {0, 1, 1}, {64, 300, 70}};
  for (const auto& s : shapes) {
    check_dense<float>(s[0], s[1], s[2]);
    check_dense<double>(s[0], s[1], s[2]);
  }
}

// The four dense kernels' outputs, concatenated, computed with `threads` threads.
template <typename T>
std::vector<T> dense_outputs(int threads) {
  const index_t batch = 64, in = 300, out = 70;  // 1.3M multiply-adds, well above the 65536 threshold
  set_num_threads(threads);
  const auto x = naive::values<T>(batch * in, 5), w = naive::values<T>(out * in, 6);
  const auto b = naive::values<T>(out, 7), dy = naive::values<T>(batch * out, 8);
  std::vector<T> y(batch * out), dx(batch * in), dw(out * in), db(out);
  dense_forward(y.data(), x.data(), w.data(), b.data(), batch, in, out);
  dense_backward_input(dx.data(), dy.data(), w.data(), batch, in, out);
  dense_backward_weight(dw.data(), dy.data(), x.data(), batch, in, out);
  dense_backward_bias(db.data(), dy.data(), batch, out);
  for (const auto* part : {&dx, &dw, &db}) y.insert(y.end(), part->begin(), part->end());
  return y;
}

template <typename T>
bool same_for_any_thread_count() {
  const auto one = dense_outputs<T>(1), two = dense_outputs<T>(2), three = dense_outputs<T>(3);
  return std::memcmp(one.data(), two.data(), one.size() * sizeof(T)) == 0 &&
         std::memcmp(one.data(), three.data(), one.size() * sizeof(T)) == 0;
}

TEST(dense_results_bitwise_identical_for_any_thread_count) {
  const int saved = get_num_threads();
  CHECK(saved >= 1);
  CHECK(same_for_any_thread_count<float>());
  CHECK(same_for_any_thread_count<double>());
  set_num_threads(saved);
  CHECK_THROWS(set_num_threads(0), std::invalid_argument);
  CHECK(get_num_threads() == saved);
}

template <typename T>
void check_activations(index_t rows, index_t cols) {
  set_context<T>("activations rows, cols = " + std::to_string(rows) + ", " + std::to_string(cols));
  const index_t n = rows * cols;
  auto x = naive::values<T>(n, 9, -3, 3);
  const auto dy = naive::values<T>(n, 10);
  if (n >= 3) x[0] = T(0), x[1] = T(80), x[2] = T(-80);  // ReLU's kink, saturated sigmoid and tanh
  const T slope = T(0.1);
  const auto leaky = [&](naive::Real v) { return naive::leaky_relu(v, slope); };
  const auto leaky_grad = [&](naive::Real v) { return naive::leaky_relu_grad(v, slope); };
  auto y = garbage<T>(n), dx = garbage<T>(n);

  relu_forward(y.data(), x.data(), n);
  CHECK_ALL_NEAR(y.data(), naive::map(x.data(), n, naive::relu).data(), n, tol<T>);
  relu_backward(dx.data(), dy.data(), x.data(), n);
  CHECK_ALL_NEAR(dx.data(), naive::map_grad(dy.data(), x.data(), n, naive::relu_grad).data(), n, tol<T>);
  leaky_relu_forward(y.data(), x.data(), slope, n);
  CHECK_ALL_NEAR(y.data(), naive::map(x.data(), n, leaky).data(), n, tol<T>);
  leaky_relu_backward(dx.data(), dy.data(), x.data(), slope, n);
  CHECK_ALL_NEAR(dx.data(), naive::map_grad(dy.data(), x.data(), n, leaky_grad).data(), n, tol<T>);
  sigmoid_forward(y.data(), x.data(), n);  // the backward kernels read this y, as the layers do
  CHECK_ALL_NEAR(y.data(), naive::map(x.data(), n, naive::sigmoid).data(), n, tol<T>);
  sigmoid_backward(dx.data(), dy.data(), y.data(), n);
  CHECK_ALL_NEAR(dx.data(), naive::map_grad(dy.data(), x.data(), n, naive::sigmoid_grad).data(), n, tol<T>);
  tanh_forward(y.data(), x.data(), n);
  CHECK_ALL_NEAR(y.data(), naive::map(x.data(), n, [](naive::Real v) { return std::tanh(v); }).data(), n, tol<T>);
  tanh_backward(dx.data(), dy.data(), y.data(), n);
  CHECK_ALL_NEAR(dx.data(), naive::map_grad(dy.data(), x.data(), n, naive::tanh_grad).data(), n, tol<T>);
  if (cols == 0) return;  // the softmax of an empty row is undefined
  softmax_forward(y.data(), x.data(), rows, cols);
  CHECK_ALL_NEAR(y.data(), naive::softmax(x.data(), rows, cols).data(), n, tol<T>);
  softmax_backward(dx.data(), dy.data(), y.data(), rows, cols);
  CHECK_ALL_NEAR(dx.data(), naive::softmax_backward(dy.data(), x.data(), rows, cols).data(), n, tol<T>);
}

template <typename T>
void check_losses(index_t rows, index_t cols) {
  set_context<T>("losses rows, cols = " + std::to_string(rows) + ", " + std::to_string(cols));
  const index_t n = rows * cols;
  const auto pred = naive::values<T>(n, 11, -4, 4), target = naive::values<T>(n, 12, 0, 1);
  auto logits = naive::values<T>(n, 13, -8, 8);
  if (n >= 2) logits[0] = T(30), logits[1] = T(-30);
  std::vector<std::int64_t> labels(rows);
  for (index_t r = 0; r < rows; ++r) labels[r] = (r * 7 + 3) % cols;
  naive::Vec want;
  auto grad = garbage<T>(n), probs = garbage<T>(n);

  CHECK_NEAR(mse_loss_forward(pred.data(), target.data(), n), naive::mse(want, pred.data(), target.data(), n), tol<T>);
  mse_loss_backward(grad.data(), pred.data(), target.data(), n);
  CHECK_ALL_NEAR(grad.data(), want.data(), n, tol<T>);

  const naive::Real ce = naive::cross_entropy(want, pred.data(), labels.data(), rows, cols);
  CHECK_NEAR(softmax_cross_entropy_forward(probs.data(), pred.data(), labels.data(), rows, cols), ce, tol<T>);
  CHECK_ALL_NEAR(probs.data(), naive::softmax(pred.data(), rows, cols).data(), n, tol<T>);
  softmax_cross_entropy_backward((grad = garbage<T>(n)).data(), probs.data(), labels.data(), rows, cols);
  CHECK_ALL_NEAR(grad.data(), want.data(), n, tol<T>);

  // The targets do not sum to one, so the gradient's t_sum factor is exercised too.
  const naive::Real soft = naive::cross_entropy_soft(want, pred.data(), target.data(), rows, cols);
  CHECK_NEAR(softmax_cross_entropy_soft_forward(probs.data(), pred.data(), target.data(), rows, cols), soft, tol<T>);
  softmax_cross_entropy_soft_backward((grad = garbage<T>(n)).data(), probs.data(), target.data(), rows, cols);
  CHECK_ALL_NEAR(grad.data(), want.data(), n, tol<T>);

  const naive::Real bce = naive::bce_with_logits(want, logits.data(), target.data(), n);
  CHECK_NEAR(bce_with_logits_forward(logits.data(), target.data(), n), bce, tol<T>);
  bce_with_logits_backward((grad = garbage<T>(n)).data(), logits.data(), target.data(), n);
  CHECK_ALL_NEAR(grad.data(), want.data(), n, tol<T>);
}

TEST(activation_and_loss_kernels_match_naive) {
  for (auto [rows, cols] : {std::pair<index_t, index_t>{1, 1}, {1, 7}, {13, 1}, {7, 13}, {0, 5}, {3, 2}}) {
    check_activations<float>(rows, cols);
    check_activations<double>(rows, cols);
    if (rows == 0) continue;  // a mean over no rows is NaN by definition
    check_losses<float>(rows, cols);
    check_losses<double>(rows, cols);
  }
}

// Logits of ±1e4 overflow exp in either type unless the kernels shift by the row maximum.
template <typename T>
void check_huge_logits() {
  set_context<T>("huge logits");
  const T big = T(1e4);
  const std::vector<T> z = {big, -big, 0, -big, big, big}, soft = {T(0.5), T(0.5), 0, 1, 0, 0};
  const std::vector<std::int64_t> labels = {1, 1};
  std::vector<T> probs(6), grad(6), y(6);
  // Row 0: the label sits on -1e4, loss 2e4. Row 1: two tied maxima, loss log 2.
  const T loss = softmax_cross_entropy_forward(probs.data(), z.data(), labels.data(), 2, 3);
  CHECK(std::isfinite(loss));
  CHECK_NEAR(loss, (2e4L + std::log(2.0L)) / 2, tol<T>);
  softmax_cross_entropy_backward(grad.data(), probs.data(), labels.data(), 2, 3);
  const T want_grad[] = {T(0.5), T(-0.5), 0, 0, T(-0.25), T(0.25)};
  CHECK_ALL_NEAR(grad.data(), want_grad, 6, tol<T>);
  // Row 0: half the mass on 1e4 (loss 0), half on -1e4 (loss 2e4). Row 1: all on -1e4.
  const T soft_loss = softmax_cross_entropy_soft_forward(probs.data(), z.data(), soft.data(), 2, 3);
  CHECK_NEAR(soft_loss, (1e4L + 2e4L + std::log(2.0L)) / 2, tol<T>);
  softmax_forward(y.data(), z.data(), 2, 3);
  const T want_y[] = {1, 0, 0, 0, T(0.5), T(0.5)};
  CHECK_ALL_NEAR(y.data(), want_y, 6, tol<T>);

  const std::vector<T> bz = {big, -big, big, -big}, bt = {0, 0, 1, 1};
  CHECK_NEAR(bce_with_logits_forward(bz.data(), bt.data(), 4), (1e4L + 0 + 0 + 1e4L) / 4, tol<T>);
  bce_with_logits_backward(grad.data(), bz.data(), bt.data(), 4);
  const T want_bce_grad[] = {T(0.25), 0, 0, T(-0.25)};
  CHECK_ALL_NEAR(grad.data(), want_bce_grad, 4, tol<T>);
  sigmoid_forward(y.data(), bz.data(), 2);
  CHECK(y[0] == T(1) && y[1] == T(0));
}

TEST(losses_stay_finite_for_huge_logits) {
  check_huge_logits<float>();
  check_huge_logits<double>();
}

// ReLU's gradient at the edges, as PyTorch: 0 at -0, +0 and below, dy above 0, at +inf and at NaN.
template <typename T>
void check_relu_gradient_edges() {
  const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
  const std::vector<T> x = {nan, T(-0.0), T(0), T(-1), T(2), inf, -inf}, dy(x.size(), T(3));
  std::vector<T> dx = garbage<T>(index_t(x.size()));
  relu_backward(dx.data(), dy.data(), x.data(), index_t(x.size()));
  const std::vector<T> want = {3, 0, 0, 0, 3, 3, 0};
  CHECK(dx == want);
}

TEST(relu_gradient_passes_at_nan_and_stops_at_zero) {
  check_relu_gradient_edges<float>();
  check_relu_gradient_edges<double>();
}

// The bias gradient of a long batch stays within the error of a sum in groups of 64 rows: a plain
// running sum of 65536 values of 0.1f is off by 6e-4 (relative), the groups by 1e-5.
TEST(bias_gradient_is_accurate_for_long_batches) {
  const index_t batch = 65536, out = 3;
  const std::vector<float> dy(batch * out, 0.1f);
  std::vector<float> db = garbage<float>(out);
  dense_backward_bias(db.data(), dy.data(), batch, out);
  const long double exact = (long double)(0.1f) * batch;
  const long double bound = (64 + batch / 64 + 2) * (long double)std::numeric_limits<float>::epsilon();
  for (float v : db) CHECK(std::fabs(v - exact) / exact <= bound);
}
