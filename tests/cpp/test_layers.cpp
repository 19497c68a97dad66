// Layers and losses through their class API: values, finite-difference gradients, errors, seeding.
#include <cstring>
#include <type_traits>

#include "check.hpp"
#include "densenn/densenn.hpp"
#include "naive.hpp"
#include "test_data.hpp"

using namespace densenn;
using testing::matrix;
using testing::same_bits;
using naive::Real;

template <typename T>
constexpr long double tol = std::is_same_v<T, float> ? 1e-5L : 1e-12L;
template <typename T>
const std::string type_name = std::is_same_v<T, float> ? "float" : "double";

template <typename T>
void check_dense_layer(bool bias) {
  check::context = type_name<T> + (bias ? " with bias" : " without bias");
  const index_t batch = 5, in = 7, out = 3;
  Dense<T> layer(in, out, 3, Init::he, bias);
  CHECK(layer.parameters().size() == std::size_t(out * in + (bias ? out : 0)) && (layer.bias() != nullptr) == bias);
  const auto x = matrix<T>(batch, in, 21), dy = matrix<T>(batch, out, 22);
  const std::vector<T> p0 = layer.parameters();
  const T* b = bias ? p0.data() + out * in : nullptr;

  const Matrix<T> y = layer.forward(x);
  CHECK(y.rows() == batch && y.cols() == out);
  CHECK_ALL_NEAR(y.data(), naive::dense_forward(x.data(), p0.data(), b, batch, in, out).data(), y.size(), tol<T>);
  const Matrix<T> dx = layer.backward(dy);
  CHECK(dx.rows() == batch && dx.cols() == in);
  CHECK_ALL_NEAR(dx.data(), naive::dense_backward_input(dy.data(), p0.data(), batch, in, out).data(), dx.size(), tol<T>);
  layer.backward(dy);  // a second backward overwrites: the gradients must not double
  const auto dw = naive::dense_backward_weight(dy.data(), x.data(), batch, in, out);
  CHECK_ALL_NEAR(layer.grad_weight().data(), dw.data(), out * in, tol<T>);
  if (bias) CHECK_ALL_NEAR(layer.grad_bias(), naive::dense_backward_bias(dy.data(), batch, out).data(), out, tol<T>);

  const std::vector<T> g = layer.gradients();
  layer.step(T(0.5));
  CHECK_ALL_NEAR(layer.parameters().data(), naive::sgd(p0.data(), g.data(), 0.5L, g.size()).data(), g.size(), tol<T>);
}

TEST(dense_layer_matches_naive) {
  for (bool bias : {true, false}) {
    check_dense_layer<float>(bias);
    check_dense_layer<double>(bias);
  }
}

// want_y(x) and want_dx(x, dy) give the oracle's values.
template <typename T, typename L, typename Fwd, typename Bwd>
void check_activation(L layer, Fwd want_y, Bwd want_dx) {
  check::context = type_name<T> + " " + layer.kind();
  const auto x = matrix<T>(4, 5, 31, -3, 3), dy = matrix<T>(4, 5, 32);
  CHECK_THROWS(layer.backward(dy), StateError);
  CHECK_ALL_NEAR(layer.forward(x, false).data(), want_y(x).data(), x.size(), tol<T>);
  CHECK_THROWS(layer.backward(dy), StateError);  // an inference forward keeps nothing for backward
  CHECK_ALL_NEAR(layer.forward(x).data(), want_y(x).data(), x.size(), tol<T>);
  const Matrix<T> dx = layer.backward(dy);
  CHECK_ALL_NEAR(dx.data(), want_dx(x, dy).data(), x.size(), tol<T>);

  CHECK_THROWS(layer.backward(matrix<T>(3, 5, 1)), ShapeError);
  CHECK_THROWS(layer.backward(matrix<T>(4, 6, 1)), ShapeError);
  Matrix<T> wrong(4, 4);
  CHECK_THROWS(layer.forward(wrong.view(), x, true), ShapeError);
  layer.forward(matrix<T>(2, 5, 33), false);  // neither the failures nor inference replace the training cache
  CHECK(same_bits(dx.data(), layer.backward(dy).data(), dx.size()));
}

template <typename T>
void check_activations() {
  const auto map = [](auto f) { return [=](const Matrix<T>& x) { return naive::map(x.data(), x.size(), f); }; };
  const auto map_grad = [](auto f_grad) {
    return [=](const Matrix<T>& x, const Matrix<T>& dy) { return naive::map_grad(dy.data(), x.data(), x.size(), f_grad); };
  };
  const T slope = T(0.2);
  check_activation<T>(ReLU<T>(), map(naive::relu), map_grad(naive::relu_grad));
  check_activation<T>(LeakyReLU<T>(slope), map([=](Real v) { return naive::leaky_relu(v, slope); }),
                      map_grad([=](Real v) { return naive::leaky_relu_grad(v, slope); }));
  check_activation<T>(Sigmoid<T>(), map(naive::sigmoid), map_grad(naive::sigmoid_grad));
  check_activation<T>(Tanh<T>(), map([](Real v) { return std::tanh(v); }), map_grad(naive::tanh_grad));
  check_activation<T>(
      Softmax<T>(), [](const Matrix<T>& x) { return naive::softmax(x.data(), x.rows(), x.cols()); },
      [](const Matrix<T>& x, const Matrix<T>& dy) { return naive::softmax_backward(dy.data(), x.data(), x.rows(), x.cols()); });
}

TEST(activation_layers_match_naive) {
  check_activations<float>();
  check_activations<double>();
}

template <typename T>
void check_losses() {
  check::context = type_name<T>;
  const index_t rows = 6, cols = 4, n = rows * cols;
  const auto pred = matrix<T>(rows, cols, 41, -3, 3), target = matrix<T>(rows, cols, 42, 0, 1);
  const std::vector<int> labels = {3, 0, 1, 2, 2, 0};
  const std::vector<std::int64_t> labels64(labels.begin(), labels.end());
  naive::Vec g;
  Matrix<T> wrong(rows, cols + 1);

  MSELoss<T> mse;
  CHECK_THROWS(mse.backward(), StateError);
  CHECK_NEAR(mse.forward(pred, target), naive::mse(g, pred.data(), target.data(), n), tol<T>);
  CHECK_ALL_NEAR(mse.backward().data(), g.data(), n, tol<T>);
  CHECK_THROWS_WITH(mse.forward(pred, wrong), ShapeError, "expected (6, 4), got (6, 5)");
  CHECK_THROWS(mse.backward(wrong.view()), ShapeError);

  SoftmaxCrossEntropyLoss<T> ce;
  CHECK_THROWS(ce.backward(), StateError);
  // Probability targets first: a later label forward must switch backward back to labels.
  CHECK_NEAR(ce.forward(pred, target), naive::cross_entropy_soft(g, pred.data(), target.data(), rows, cols), tol<T>);
  CHECK_ALL_NEAR(ce.backward().data(), g.data(), n, tol<T>);
  CHECK_NEAR(ce.forward(pred, labels), naive::cross_entropy(g, pred.data(), labels64.data(), rows, cols), tol<T>);
  const Matrix<T> ce_grad = ce.backward();
  CHECK_ALL_NEAR(ce_grad.data(), g.data(), n, tol<T>);
  CHECK_NEAR(ce.forward(pred, labels64.data()), naive::cross_entropy(g, pred.data(), labels64.data(), rows, cols),
             tol<T>);
  for (int bad : {-1, int(cols)}) {
    std::vector<int> bad_labels = labels;
    bad_labels[2] = bad;
    CHECK_THROWS_WITH(ce.forward(pred, bad_labels), std::invalid_argument, "out of range");
  }
  CHECK_THROWS(ce.forward(pred, std::vector<int>(rows - 1)), ShapeError);
  CHECK(same_bits(ce_grad.data(), ce.backward().data(), n));  // the failed calls kept the last good forward

  BCEWithLogitsLoss<T> bce;
  CHECK_THROWS(bce.backward(), StateError);
  CHECK_NEAR(bce.forward(pred, target), naive::bce_with_logits(g, pred.data(), target.data(), n), tol<T>);
  CHECK_ALL_NEAR(bce.backward().data(), g.data(), n, tol<T>);
  CHECK_THROWS(bce.forward(pred, wrong), ShapeError);
}

TEST(losses_match_naive) {
  check_losses<float>();
  check_losses<double>();
}

// Backprop through Dense -> Tanh -> Dense -> loss against central differences of the loss, for
// every parameter (W and b of both layers, through the flat buffers) and every input value.
template <typename Loss, typename Grad>
void gradcheck(Loss loss, Grad loss_grad) {
  Dense<double> first(4, 5, 11), second(5, 3, 12);
  Tanh<double> act;
  Matrix<double> x = matrix<double>(3, 4, 51);
  const auto forward = [&] { return second.forward(act.forward(first.forward(x))); };
  loss(forward());
  const Matrix<double> dx = first.backward(act.backward(second.backward(loss_grad())));
  const std::pair<double*, std::vector<double>> tensors[] = {
      {first.parameters().data(), first.gradients()},
      {second.parameters().data(), second.gradients()},
      {x.data(), std::vector<double>(dx.data(), dx.data() + dx.size())}};
  const double h = 1e-5;  // truncation ~h^2 and rounding ~1e-16/h, both far below the tolerance
  for (const auto& [values, analytic] : tensors) {
    std::vector<double> numeric(analytic.size());
    for (std::size_t k = 0; k < numeric.size(); ++k) {
      const double saved = values[k];
      values[k] = saved + h;
      const double up = loss(forward());
      values[k] = saved - h;
      numeric[k] = (up - loss(forward())) / (2 * h);
      values[k] = saved;
    }
    CHECK_ALL_NEAR(analytic.data(), numeric.data(), numeric.size(), 1e-7L);
  }
}

TEST(gradients_match_finite_differences) {
  MSELoss<double> mse;
  const auto target = matrix<double>(3, 3, 52);
  check::context = "MSELoss";
  gradcheck([&](const Matrix<double>& out) { return mse.forward(out, target); }, [&] { return mse.backward(); });
  SoftmaxCrossEntropyLoss<double> ce;
  const std::vector<int> labels = {2, 0, 1};
  check::context = "SoftmaxCrossEntropyLoss";
  gradcheck([&](const Matrix<double>& out) { return ce.forward(out, labels); }, [&] { return ce.backward(); });
}

TEST(dense_errors_change_nothing) {
  Dense<double> layer(4, 3, 7);
  const auto x = matrix<double>(2, 4, 61), dy = matrix<double>(2, 3, 62);
  CHECK_THROWS_WITH(layer.backward(dy), StateError, "before a training forward");
  layer.forward(x, false);
  CHECK_THROWS(layer.backward(dy), StateError);  // inference does not enable backward
  layer.forward(x);
  layer.backward(dy);
  const std::vector<double> params = layer.parameters(), grads = layer.gradients();

  CHECK_THROWS_WITH(layer.forward(matrix<double>(2, 5, 1)), ShapeError, "expected input with 4 features, got 5");
  CHECK_THROWS_WITH(layer.backward(matrix<double>(3, 3, 1)), ShapeError, "expected shape (2, 3), got (3, 3)");
  CHECK_THROWS(layer.backward(matrix<double>(2, 4, 1)), ShapeError);
  Matrix<double> y_wrong(2, 4), dx_wrong(2, 5);
  CHECK_THROWS(layer.forward(y_wrong.view(), x, true), ShapeError);
  CHECK_THROWS(layer.backward(dx_wrong.view(), dy), ShapeError);
  CHECK(same_bits(params.data(), layer.parameters().data(), params.size()));
  CHECK(same_bits(grads.data(), layer.gradients().data(), grads.size()));
  layer.forward(matrix<double>(6, 4, 63), false);  // backward still sees the training x
  layer.backward(dy);
  CHECK(same_bits(grads.data(), layer.gradients().data(), grads.size()));

  CHECK_THROWS_WITH(Dense<double>(0, 3), ShapeError, "positive");
  CHECK_THROWS(Dense<float>(3, 0), ShapeError);
  CHECK_THROWS(Dense<float>(-1, 3), ShapeError);
  CHECK_THROWS_WITH(Dense<float>(1, std::numeric_limits<index_t>::max()), ShapeError, "too large");
  CHECK_THROWS_WITH(parse_init("foo"), std::invalid_argument, "'foo'");
  CHECK(parse_init("he") == Init::he && parse_init("xavier") == Init::xavier && parse_init("zeros") == Init::zeros);
}

template <typename T>
Real max_abs_weight(Dense<T>& layer) {
  Real m = 0;
  for (index_t k = 0; k < layer.weight().size(); ++k) m = std::max(m, std::fabs(Real(layer.weight().data()[k])));
  return m;
}

template <typename T>
void check_init() {
  check::context = type_name<T>;
  const index_t in = 7, out = 13;
  Dense<T> he(in, out, 42), same(in, out, 42), other(in, out, 43);
  Dense<T> xavier(in, out, 42, Init::xavier), zeros(in, out, 42, Init::zeros);
  const std::size_t n = he.parameters().size();
  CHECK(same_bits(he.parameters().data(), same.parameters().data(), n));
  CHECK(!same_bits(he.parameters().data(), other.parameters().data(), n));
  const Real he_bound = T(std::sqrt(6.0 / in)), xavier_bound = T(std::sqrt(6.0 / (in + out)));
  // 91 draws fill most of the range; he exceeding the xavier bound shows the two are not swapped.
  CHECK(max_abs_weight(he) <= he_bound && max_abs_weight(he) > xavier_bound);
  CHECK(max_abs_weight(xavier) <= xavier_bound && max_abs_weight(xavier) > xavier_bound / 2);
  CHECK(max_abs_weight(zeros) == 0);
  for (Dense<T>* layer : {&he, &other, &xavier, &zeros})
    CHECK(std::all_of(layer->bias(), layer->bias() + out, [](T v) { return v == T(0); }));
}

TEST(empty_rows_never_crash) {
  // Rows of zero columns: softmax has nothing to do; cross-entropy needs a class and says so.
  Softmax<float> softmax;
  CHECK(softmax.forward(Matrix<float>(2, 0)).size() == 0);
  SoftmaxCrossEntropyLoss<double> loss;
  CHECK_THROWS_WITH(loss.forward(Matrix<double>(2, 0), Matrix<double>(2, 0)), ShapeError, "at least one class");
  const std::int64_t labels[2] = {0, 0};
  CHECK_THROWS(loss.forward(Matrix<double>(2, 0), labels), ShapeError);
}

TEST(seeded_init_is_reproducible_and_bounded) {
  check_init<float>();
  check_init<double>();
}

// A const Dense is readable: its weights, bias, gradients and flat buffers, as const views.
TEST(a_const_dense_layer_reads_its_parameters) {
  Dense<float> layer(3, 2, 4);
  layer.weight()(1, 2) = 0.5f;
  layer.bias()[1] = -0.25f;
  const Dense<float>& read = layer;
  static_assert(std::is_same_v<decltype(read.weight()), MatrixView<const float>>);
  static_assert(std::is_same_v<decltype(read.bias()), const float*>);
  CHECK(read.weight()(1, 2) == 0.5f && read.bias()[1] == -0.25f);
  CHECK(read.weight().data() == layer.weight().data() && read.grad_weight().data() == layer.grad_weight().data());
  CHECK(read.grad_bias() == layer.grad_bias() && &read.parameters() == &layer.parameters());
  CHECK(read.parameters().size() == 8 && read.gradients().size() == 8);
}
