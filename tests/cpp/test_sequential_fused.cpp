// Sequential<T> (fused paths) against its layers called one by one: forward, backward, step and predict (whose
// fused and one-call paths must give the very same bits), shape errors, and state kept apart.
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "check.hpp"
#include "densenn/densenn.hpp"
#include "naive.hpp"
#include "test_data.hpp"

using namespace densenn;
using testing::matrix;
using testing::same_bits;

// Layer kinds by letter: D(ense), R(eLU), T(anh), S(igmoid). Dense sizes come from `widths`.
template <typename T>
std::vector<std::shared_ptr<Layer<T>>> make_layers(const std::string& kinds, const std::vector<index_t>& widths) {
  std::vector<std::shared_ptr<Layer<T>>> layers;
  std::size_t d = 0;
  for (char kind : kinds) {
    if (kind == 'D') {
      layers.push_back(std::make_shared<Dense<T>>(widths[d], widths[d + 1], 7 + d));
      ++d;
    } else if (kind == 'R') {
      layers.push_back(std::make_shared<ReLU<T>>());
    } else if (kind == 'T') {
      layers.push_back(std::make_shared<Tanh<T>>());
    } else {
      layers.push_back(std::make_shared<Sigmoid<T>>());
    }
  }
  return layers;
}

// The same network twice: one as a Sequential, one as loose layers driven by hand.
template <typename T>
void check_network(const std::string& kinds, const std::vector<index_t>& widths, index_t batch) {
  check::context = std::string(sizeof(T) == 4 ? "float " : "double ") + kinds + " batch " + std::to_string(batch) +
                   " widths " + std::to_string(widths.front()) + ".." + std::to_string(widths.back());
  Sequential<T> net;
  for (auto& layer : make_layers<T>(kinds, widths)) net.add(layer);
  auto loose = make_layers<T>(kinds, widths);
  const Matrix<T> x = matrix<T>(batch, widths.front(), 11);
  Matrix<T> dy = matrix<T>(batch, widths.back(), 12);

  // Forward: the same bits as the layers one after the other.
  std::vector<Matrix<T>> acts{x};
  for (auto& layer : loose) acts.push_back(layer->forward(acts.back()));
  const MatrixView<const T> y = net.forward(x);
  CHECK(same_bits<T>(y, acts.back()));

  // Predict (fused Dense + ReLU, the whole stack in one call for small batches): the same bits,
  // also for other batch sizes, and the training state of the forward above is left alone.
  for (index_t rows : {batch, index_t(1), index_t(2), index_t(3)}) {
    const Matrix<T> xp = matrix<T>(rows, widths.front(), 13 + rows);
    Matrix<T> want = xp;
    for (auto& layer : loose) want = layer->forward(want, false);
    CHECK(same_bits<T>(net.predict(xp), want));
  }

  // Backward: the input gradient and every parameter gradient; then one SGD step.
  Matrix<T> g = dy;
  for (std::size_t k = loose.size(); k-- > 0;) g = loose[k]->backward(g);
  const MatrixView<const T> dx = net.backward(dy);
  CHECK(same_bits<T>(dx, g));
  for (index_t i = 0; i < net.size(); ++i) {
    if (auto* dense = dynamic_cast<Dense<T>*>(&net[i])) {
      auto* twin = dynamic_cast<Dense<T>*>(loose[std::size_t(i)].get());
      CHECK(dense->gradients() == twin->gradients());
      dense->gradients().assign(dense->gradients().size(), T(0));
    }
  }
  // Without the input gradient: an empty view, the same parameter gradients.
  CHECK(net.backward(dy, false).size() == 0);
  net.step(T(0.125));
  for (auto& layer : loose) layer->step(T(0.125));
  for (index_t i = 0; i < net.size(); ++i) {
    if (auto* dense = dynamic_cast<Dense<T>*>(&net[i])) {
      auto* twin = dynamic_cast<Dense<T>*>(loose[std::size_t(i)].get());
      CHECK(dense->gradients() == twin->gradients());
      CHECK(dense->parameters() == twin->parameters());
    }
  }
}

TEST(sequential_matches_its_layers_one_by_one) {
  for (index_t batch : {1, 2, 5, 33}) {
    check_network<float>("DRDRD", {16, 64, 64, 1}, batch);    // the tiny benchmark net
    check_network<float>("DRDRD", {784, 256, 128, 10}, batch);  // M: big enough for two threads
    check_network<double>("DRDRD", {7, 13, 5, 3}, batch);
    check_network<float>("DTDSD", {9, 17, 33, 4}, batch);      // no fusion, no one-call path
    check_network<double>("RDRRD", {6, 11, 2}, batch);         // ReLU first, two in a row
    check_network<float>("D", {40, 1}, batch);
  }
}

TEST(sequential_predict_keeps_nan_and_inf) {
  Sequential<float> net;
  net.add(Dense<float>(5, 20, 1)).add(ReLU<float>()).add(Dense<float>(20, 3, 2));
  for (index_t rows : {1, 2, 9}) {
    Matrix<float> x = matrix<float>(rows, 5, 3);
    x(0, 2) = std::numeric_limits<float>::quiet_NaN();
    const MatrixView<const float> y = net.predict(x);
    bool ok = true;
    for (index_t r = 0; r < rows; ++r)
      for (index_t c = 0; c < 3; ++c) ok = ok && std::isnan(y(r, c)) == (r == 0);
    CHECK(ok);
    CHECK(same_bits<float>(y, net.forward(x)));
  }
}

TEST(sequential_shape_errors_change_nothing) {
  Sequential<double> net;
  net.add(Dense<double>(4, 3, 1)).add(ReLU<double>());
  CHECK_THROWS_WITH(net.add(Dense<double>(5, 2, 2)), ShapeError, "expects 5 input features");
  CHECK(net.size() == 2);
  net.add(Dense<double>(3, 2, 3));
  CHECK_THROWS_WITH(net.predict(matrix<double>(2, 5, 4)), ShapeError, "expected input of shape (2, 4)");
  CHECK_THROWS_WITH(net.backward(matrix<double>(2, 2, 5)), StateError, "before forward");
  const Matrix<double> x = matrix<double>(2, 4, 6);
  CHECK(net.forward(x).rows() == 2);
  CHECK_THROWS(net.forward(matrix<double>(3, 2, 7)), ShapeError);
  CHECK_THROWS(net.backward(matrix<double>(3, 2, 8)), ShapeError);
  net.predict(matrix<double>(5, 4, 9));  // inference between forward and backward changes nothing
  CHECK(net.backward(matrix<double>(2, 2, 10)).rows() == 2);
  CHECK_THROWS(net[3], std::out_of_range);
}

// A training forward writes each layer's output straight into the next layer's input cache; the
// caches are the layers' own, so a smaller batch after a larger one leaves backward with the
// inputs of the last forward. Another network sharing a layer, or a direct call, that runs a
// forward through it in between makes backward throw instead of using that other input.
TEST(sequential_outputs_in_the_layers_caches_follow_each_forward) {
  const std::vector<index_t> widths{6, 9, 4};
  auto layers = make_layers<float>("DRDR", widths);
  Sequential<float> net, other;
  for (auto& layer : layers) net.add(layer);
  other.add(std::make_shared<Dense<float>>(3, 6, 5)).add(layers[0]);  // shares the first Dense
  auto loose = make_layers<float>("DRDR", widths);
  net.forward(matrix<float>(8, 6, 21));
  const Matrix<float> x = matrix<float>(3, 6, 22), dy = matrix<float>(3, 4, 23);
  net.forward(x);
  std::vector<Matrix<float>> acts{x};
  for (auto& layer : loose) acts.push_back(layer->forward(acts.back()));
  Matrix<float> g = dy;
  for (std::size_t k = loose.size(); k-- > 0;) g = loose[k]->backward(g);
  CHECK(same_bits<float>(net.backward(dy), g));
  for (std::size_t i : {0, 2})
    CHECK(dynamic_cast<Dense<float>&>(net[index_t(i)]).gradients() ==
          dynamic_cast<Dense<float>*>(loose[i].get())->gradients());

  // The same batch size through the shared layer: only the stamps tell the inputs apart.
  net.forward(x);
  other.forward(matrix<float>(3, 3, 24));  // layers[0] now caches other's hidden output
  const std::vector<float> grads = dynamic_cast<Dense<float>&>(net[2]).gradients();
  CHECK_THROWS_WITH(net.backward(dy), StateError, "layer 0 (dense) has run a training forward");
  CHECK(dynamic_cast<Dense<float>&>(net[2]).gradients() == grads);  // nothing written
  other.backward(matrix<float>(3, 9, 25));                            // other's own forward is the last
  layers[2]->forward(matrix<float>(3, 9, 26));                        // a direct call
  net.forward(x);
  CHECK(same_bits<float>(net.backward(dy), g));
  layers[1]->forward(matrix<float>(3, 9, 27));
  CHECK_THROWS_WITH(net.backward(dy), StateError, "layer 1 (relu)");
}
