// Sequential<T>: the same results as driving its layers by hand, train_step as the composed step.
#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>
#include <type_traits>

#include "check.hpp"
#include "densenn/densenn.hpp"
#include "naive.hpp"
#include "test_data.hpp"

using namespace densenn;
using testing::matrix;
using testing::same_bits;

template <typename T>
Sequential<T> small_net() {
  Sequential<T> net;
  net.add(Dense<T>(5, 8, 1)).add(Tanh<T>()).add(Dense<T>(8, 4, 2)).add(LeakyReLU<T>(T(0.1))).add(Dense<T>(4, 3, 3));
  return net;
}

// The parameters of every Dense layer, flattened, for bitwise comparison.
template <typename T>
std::vector<T> all_parameters(const Sequential<T>& net) {
  std::vector<T> out;
  for (index_t i = 0; i < net.size(); ++i)
    if (auto* d = dynamic_cast<Dense<T>*>(&net[i])) out.insert(out.end(), d->parameters().begin(), d->parameters().end());
  return out;
}

// The gradients of every Dense layer, flattened.
template <typename T>
std::vector<T> all_gradients(const Sequential<T>& net) {
  std::vector<T> out;
  for (index_t i = 0; i < net.size(); ++i)
    if (auto* d = dynamic_cast<Dense<T>*>(&net[i])) out.insert(out.end(), d->gradients().begin(), d->gradients().end());
  return out;
}

template <typename T>
void check_matches_layer_by_layer() {
  Sequential<T> net = small_net<T>(), twin = small_net<T>();
  const auto x = matrix<T>(6, 5, 11), dy = matrix<T>(6, 3, 12);
  MatrixView<const T> y = net.forward(x);
  Matrix<T> h = x;
  for (index_t i = 0; i < twin.size(); ++i) h = twin[i].forward(h);
  CHECK(same_bits<T>(y, h));
  CHECK(same_bits<T>(net.predict(x), h));

  MatrixView<const T> dx = net.backward(dy);
  Matrix<T> g = dy;
  for (index_t i = twin.size(); i-- > 0;) g = twin[i].backward(g);
  CHECK(same_bits<T>(dx, g));
  CHECK(net.backward(dy, false).size() == 0);  // no dE/dx asked for: none computed
  net.step(T(0.1));
  for (index_t i = 0; i < twin.size(); ++i) twin[i].step(T(0.1));
  CHECK(all_parameters(net) == all_parameters(twin));
}

template <typename T>
void check_train_step_is_the_composed_step() {
  Sequential<T> net = small_net<T>(), twin = small_net<T>();
  const auto x = matrix<T>(6, 5, 21), target = matrix<T>(6, 3, 22);
  const std::vector<int> labels = {0, 2, 1, 1, 0, 2};
  MSELoss<T> mse, mse_twin;
  SoftmaxCrossEntropyLoss<T> ce, ce_twin;
  for (int step = 0; step < 3; ++step) {
    const T a = net.train_step(x, MatrixView<const T>(target), mse, T(0.05));
    const T b = mse_twin.forward(twin.forward(x), target);
    twin.backward(mse_twin.backward());
    twin.step(T(0.05));
    CHECK(a == b);
    const std::vector<std::int64_t> wide(labels.begin(), labels.end());
    const T c = step % 3 == 0 ? net.train_step(x, wide.data(), ce, T(0.05))  // labels as SPEC's int vector too
                : step % 3 == 1 ? net.train_step(x, labels, ce, T(0.05))
                                : net.train_step(x, wide, ce, T(0.05));
    const T d = step % 2 ? ce_twin.forward(twin.forward(x), labels) : ce_twin.forward(twin.forward(x), wide);
    twin.backward(ce_twin.backward());
    twin.step(T(0.05));
    CHECK(c == d);
  }
  CHECK(all_parameters(net) == all_parameters(twin));
}

template <typename T>
void check_errors_change_nothing() {
  Sequential<T> net = small_net<T>();
  CHECK_THROWS(net.backward(matrix<T>(2, 3, 1)), StateError);
  const auto x = matrix<T>(4, 5, 31);
  net.forward(x);
  net.backward(matrix<T>(4, 3, 32));
  const std::vector<T> params = all_parameters(net);
  CHECK_THROWS_WITH(net.forward(matrix<T>(4, 6, 1)), ShapeError, "expected input of shape (4, 5), got (4, 6)");
  CHECK_THROWS(net.backward(matrix<T>(4, 2, 1)), ShapeError);
  MSELoss<T> mse;
  SoftmaxCrossEntropyLoss<T> ce;
  const Matrix<T> wrong_target = matrix<T>(4, 2, 33);
  CHECK_THROWS(net.train_step(x, MatrixView<const T>(wrong_target), mse, T(0.1)), ShapeError);
  const std::int64_t bad_labels[4] = {0, 1, 3, 0};
  CHECK_THROWS_WITH(net.train_step(x, bad_labels, ce, T(0.1)), std::invalid_argument, "out of range");
  CHECK_THROWS_WITH(net.train_step(x, std::vector<int>{0, 1, 2}, ce, T(0.1)), ShapeError, "expected 4 labels, got 3");
  CHECK_THROWS_WITH(net.train_step(x, std::vector<std::int64_t>{0, 1, -1, 2}, ce, T(0.1)), std::invalid_argument,
                    "label -1 at index 2");
  CHECK(all_parameters(net) == params);
  Matrix<T> y(4, 3);
  CHECK_THROWS_WITH(net.predict(x, Matrix<T>(4, 2).view()), ShapeError, "expected output of shape (4, 3), got (4, 2)");
  CHECK_THROWS_WITH(net.predict(matrix<T>(4, 6, 1), y.view()), ShapeError, "expected input");
  CHECK_THROWS_WITH(Sequential<T>().add(Dense<T>(5, 8, 0)).add(ReLU<T>()).add(Dense<T>(7, 2, 0)), ShapeError,
                    "expects 7 input features");
  CHECK_THROWS(net[net.size()], std::out_of_range);
}

// A layer called on its own since the network's forward (another batch): backward throws
// StateError (it says why, rather than that the shapes differ) before any layer has overwritten
// its gradients.
template <typename T>
void check_backward_checks_every_layer_first() {
  for (index_t k : {0, 1, 2}) {
    Sequential<T> net = small_net<T>();
    net.forward(matrix<T>(4, 5, 50));
    net.backward(matrix<T>(4, 3, 51));
    const std::vector<T> grads = all_gradients(net);
    net[k].forward(matrix<T>(2, k == 0 ? 5 : 8, 52));  // layer k now holds a batch of 2
    CHECK_THROWS_WITH(net.backward(matrix<T>(4, 3, 53)), StateError, "training forward since");
    CHECK(all_gradients(net) == grads);
  }
}

TEST(backward_checks_every_layer_before_changing_any) {
  check_backward_checks_every_layer_first<float>();
  check_backward_checks_every_layer_first<double>();
}

TEST(a_layer_cannot_appear_twice_in_a_network) {
  auto shared = std::make_shared<Dense<double>>(3, 3, 1);
  Sequential<double> net;
  net.add(shared).add(Tanh<double>());
  CHECK_THROWS_WITH(net.add(shared), std::invalid_argument, "already layer 0");
  CHECK(net.size() == 2);
  Sequential<double> other;  // another network may share it
  other.add(shared);
  CHECK(other.size() == 1);
}

TEST(sequential_matches_layer_by_layer) {
  check_matches_layer_by_layer<float>();
  check_matches_layer_by_layer<double>();
}

TEST(train_step_is_the_composed_step) {
  check_train_step_is_the_composed_step<float>();
  check_train_step_is_the_composed_step<double>();
}

// predict(x, y) writes into the caller's y: threads sharing one network each get their own
// results (the view predict(x) returns is overwritten by the next call from any thread).
TEST(predict_into_the_callers_matrix_serves_threads_sharing_a_network) {
  Sequential<float> net = small_net<float>();
  std::vector<Matrix<float>> inputs, wanted;
  for (int k = 0; k < 8; ++k) {
    inputs.push_back(matrix<float>(1 + k % 3, 5, 60 + k));
    wanted.push_back(net.predict(inputs.back()));  // a Matrix kept from the returned view
  }
  const Matrix<float> kept = net.predict(inputs[0]);
  net.predict(inputs[1]);
  CHECK(kept.rows() == wanted[0].rows() && same_bits(kept.data(), wanted[0].data(), std::size_t(kept.size())));
  std::atomic<int> wrong{0};
  const auto work = [&](int first) {
    for (int call = 0; call < 3000; ++call) {
      const int k = (first + call) % 8;
      Matrix<float> y(inputs[std::size_t(k)].rows(), 3);
      net.predict(inputs[std::size_t(k)], y.view());
      if (!same_bits(y.data(), wanted[std::size_t(k)].data(), std::size_t(y.size()))) ++wrong;
    }
  };
  std::thread other(work, 3);
  work(0);
  other.join();
  CHECK(wrong == 0);
  Sequential<float> empty;  // no layers: y is a copy of x
  Matrix<float> y(2, 5);
  empty.predict(inputs[1], y.view());
  CHECK(same_bits(y.data(), inputs[1].data(), std::size_t(y.size())));
}

TEST(a_named_layer_is_copied_into_the_network_and_a_shared_pointer_is_not) {
  Dense<float> named(3, 2, 1);
  auto shared = std::make_shared<Dense<float>>(2, 2, 2);
  Sequential<float> net;
  net.add(named).add(shared);
  CHECK(&net[0] != &named && &net[1] == shared.get());
  named.weight()(0, 0) += 1.0f;  // the copy in the network is its own
  CHECK(dynamic_cast<Dense<float>&>(net[0]).weight()(0, 0) != named.weight()(0, 0));
}

TEST(sequential_errors_change_nothing) {
  check_errors_change_nothing<float>();
  check_errors_change_nothing<double>();
}

// Tanh with a backward that is 10% off: a bug gradcheck must catch.
class WrongTanh final : public Layer<double> {
 public:
  index_t output_cols(index_t in) const override { return in; }
  index_t input_cols(index_t out) const override { return out; }
  void forward(MatrixView<double> y, MatrixView<const double> x, bool training) override {
    tanh_.forward(y, x, training);
  }
  void backward(MatrixView<double> dx, MatrixView<const double> dy) override {
    tanh_.backward(dx, dy);
    for (index_t k = 0; k < dx.size(); ++k) dx.data()[k] *= 1.1;
  }
  std::string kind() const override { return "wrong_tanh"; }
  using Layer<double>::forward;
  using Layer<double>::backward;

 private:
  Tanh<double> tanh_;
};

// y = -x, a float layer of one's own.
class Negate final : public Layer<float> {
 public:
  index_t output_cols(index_t in) const override { return in; }
  index_t input_cols(index_t out) const override { return out; }
  void forward(MatrixView<float> y, MatrixView<const float> x, bool) override {
    for (index_t k = 0; k < x.size(); ++k) y.data()[k] = -x.data()[k];
  }
  void backward(MatrixView<float> dx, MatrixView<const float> dy) override {
    for (index_t k = 0; k < dy.size(); ++k) dx.data()[k] = -dy.data()[k];
  }
  std::string kind() const override { return "negate"; }
  using Layer<float>::forward;
  using Layer<float>::backward;
};

TEST(gradcheck_agrees_and_catches_a_wrong_gradient) {
  Sequential<float> net = small_net<float>();
  const auto x = matrix<float>(4, 5, 41), target = matrix<float>(4, 3, 42);
  const std::vector<int> labels = {2, 0, 1, 1};
  const std::vector<float> before = all_parameters(net);
  const auto mse = gradcheck<MSELoss>(net, MatrixView<const float>(x), MatrixView<const float>(target));
  const auto ce = gradcheck<SoftmaxCrossEntropyLoss>(net, MatrixView<const float>(x), labels);
  CHECK(all_parameters(net) == before);
  CHECK(mse.size() == 6 && mse[0].first == "0.weight" && mse[5].first == "4.bias");
  for (const auto& [name, err] : mse) CHECK(err < 1e-7);
  for (const auto& [name, err] : ce) CHECK(err < 1e-7);
  CHECK(gradcheck<MSELoss>(net, x, target) == mse);  // owning float matrices, as the README writes it

  // The target the network outputs: every gradient is rightly (near) zero, and reported so, not as 1.
  const MatrixView<const float> out = net.predict(x);
  Matrix<float> at_output(out.rows(), out.cols());
  std::copy(out.data(), out.data() + out.size(), at_output.data());
  for (const auto& [name, err] : gradcheck<MSELoss>(net, x, at_output)) CHECK(err < 1e-6);

  Sequential<double> wrong;
  wrong.add(Dense<double>(5, 4, 1)).add(WrongTanh()).add(Dense<double>(4, 3, 2));
  const auto x64 = matrix<double>(4, 5, 41), t64 = matrix<double>(4, 3, 42);
  const std::vector<double> params = all_parameters(wrong);
  const auto errors = gradcheck<MSELoss>(wrong, MatrixView<const double>(x64), MatrixView<const double>(t64));
  CHECK(errors[0].first == "0.weight" && errors[0].second > 1e-3);  // below the wrong layer: caught
  CHECK(errors[2].first == "2.weight" && errors[2].second < 1e-7);  // above it: still right
  CHECK(all_parameters(wrong) == params);

  // A float network with a layer of one's own cannot be widened through its model file: the
  // message says to check a double network instead.
  Sequential<float> own;
  own.add(Dense<float>(5, 3, 1)).add(std::make_shared<Negate>());
  CHECK_THROWS_WITH(gradcheck<MSELoss>(own, x, matrix<float>(4, 3, 43)), std::invalid_argument,
                    "check a Sequential<double> of the same layers instead");
}
