// gradcheck: backpropagation against central finite differences, in double, for a whole network.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "densenn/model_file.hpp"
#include "densenn/sequential.hpp"

namespace densenn {

// A double copy of a float matrix.
inline Matrix<double> widen(MatrixView<const float> m) {
  Matrix<double> out(m.rows(), m.cols());
  std::copy(m.data(), m.data() + m.size(), out.data());
  return out;
}

// The worst relative error between backprop gradients and central finite differences, per
// parameter tensor: {("0.weight", err), ("0.bias", err), ...} in layer order, with Loss<double>
// (e.g. gradcheck<MSELoss>(net, x, target)). err = max|numeric - analytic| / max(max|numeric|,
// max|analytic|, 1e-3): relative for gradients of 1e-3 and more, absolute below, so that a gradient
// that is rightly zero reports near 0, not 1 (Python's gradcheck computes the same). 1e-6 or below
// means the gradients are right. `target` is what Loss<double>::forward takes: a
// MatrixView<const double> or labels.
// A double network is checked in place: its parameters end bitwise as they were, its gradients
// and cached inputs are overwritten. Any layer may take part, user-defined ones too, but only
// Dense layers' parameters are checked (a wrong dE/dx of another layer shows in the Dense layers
// before it).
template <template <typename> class Loss, typename Target>
std::vector<std::pair<std::string, double>> gradcheck(Sequential<double>& net, MatrixView<const double> x,
                                                      const Target& target, double eps = 1e-6) {
  Loss<double> loss;
  loss.forward(net.forward(x), target);
  net.backward(loss.backward());

  std::vector<std::pair<std::string, double>> errors;
  for (index_t i = 0; i < net.size(); ++i) {
    auto* dense = dynamic_cast<Dense<double>*>(&net[i]);
    if (!dense) continue;
    const std::vector<double> analytic = dense->gradients();
    std::vector<double>& p = dense->parameters();
    std::vector<double> numeric(p.size());
    for (std::size_t k = 0; k < p.size(); ++k) {
      const double old = p[k];
      p[k] = old + eps;
      const double up = loss.forward(net.predict(x), target);
      p[k] = old - eps;
      const double down = loss.forward(net.predict(x), target);
      p[k] = old;
      numeric[k] = (up - down) / (2 * eps);
    }
    // Weight and bias are one flat buffer [W | b]; they are reported separately, as in Python.
    const std::size_t n_weight = static_cast<std::size_t>(dense->in_features() * dense->out_features());
    auto worst = [&](std::size_t begin, std::size_t end) {
      double diff = 0, scale = 0;
      for (std::size_t k = begin; k < end; ++k) {
        diff = std::max(diff, std::abs(numeric[k] - analytic[k]));
        scale = std::max({scale, std::abs(numeric[k]), std::abs(analytic[k])});
      }
      return diff / std::max(scale, 1e-3);
    };
    errors.emplace_back(std::to_string(i) + ".weight", worst(0, n_weight));
    if (dense->has_bias()) errors.emplace_back(std::to_string(i) + ".bias", worst(n_weight, p.size()));
  }
  return errors;
}

// A float network is checked on a double copy (made through the model-file format, so its layers
// must be densenn's own); the network itself is not changed. Labels pass as they are.
template <template <typename> class Loss, typename Target>
std::vector<std::pair<std::string, double>> gradcheck(const Sequential<float>& net, MatrixView<const float> x,
                                                      const Target& target, double eps = 1e-6) {
  const auto file = [&] {
    try {
      return to_safetensors(net);
    } catch (const std::invalid_argument& e) {  // a layer of one's own: say what to do instead
      throw std::invalid_argument(std::string("gradcheck: a float network is checked on a double copy made "
                                              "through its model file, which the network cannot be written to (") +
                                  e.what() + "); check a Sequential<double> of the same layers instead");
    }
  }();
  Sequential<double> copy = from_safetensors<double>(file, /*verify=*/false);
  const Matrix<double> x64 = widen(x);
  if constexpr (std::is_convertible_v<const Target&, MatrixView<const float>>) {  // Matrix<float> too
    const Matrix<double> t64 = widen(MatrixView<const float>(target));
    return gradcheck<Loss>(copy, x64.view(), t64.view(), eps);
  } else {
    return gradcheck<Loss>(copy, x64.view(), target, eps);
  }
}

}  // namespace densenn
