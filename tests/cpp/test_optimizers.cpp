// SGD and Adam against textbook formulas in long double, step by step; settings checks; state; seeds.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "check.hpp"
#include "densenn/densenn.hpp"
#include "naive.hpp"

using namespace densenn;
using naive::Real;
using naive::Vec;

template <typename T>
constexpr long double tol = std::is_same_v<T, float> ? 2e-5L : 1e-12L;
template <typename T>
const std::string type_name = std::is_same_v<T, float> ? "float" : "double";

// ---- the oracle: one optimizer step on long doubles, written as the papers and torch docs state it --

struct NaiveSGD {
  SGDOptions o;
  Vec buf;
  void step(Vec& p, const Vec& g) {
    for (std::size_t k = 0; k < p.size(); ++k) {
      Real d = (o.maximize ? -g[k] : g[k]) + Real(o.weight_decay) * p[k];
      if (o.momentum != 0) {
        if (buf.empty()) buf.assign(p.size(), 0);
        buf[k] = (first ? d : Real(o.momentum) * buf[k] + (1 - Real(o.dampening)) * d);
        d = o.nesterov ? d + Real(o.momentum) * buf[k] : buf[k];
      }
      p[k] -= Real(o.lr) * d;
    }
    first = false;
  }
  bool first = true;
};

struct NaiveAdam {
  AdamOptions o;
  Vec m, v, v_max;
  long t = 0;
  void step(Vec& p, const Vec& g) {
    if (m.empty()) m.assign(p.size(), 0), v.assign(p.size(), 0), v_max.assign(p.size(), 0);
    ++t;
    const Real b1 = o.beta1, b2 = o.beta2;
    for (std::size_t k = 0; k < p.size(); ++k) {
      Real d = o.maximize ? -g[k] : g[k];
      if (o.decoupled_weight_decay)
        p[k] *= 1 - Real(o.lr) * Real(o.weight_decay);
      else
        d += Real(o.weight_decay) * p[k];
      m[k] = b1 * m[k] + (1 - b1) * d;
      v[k] = b2 * v[k] + (1 - b2) * d * d;
      v_max[k] = std::max(v_max[k], v[k]);
      const Real m_hat = m[k] / (1 - std::pow(b1, Real(t)));
      const Real v_hat = (o.amsgrad ? v_max[k] : v[k]) / (1 - std::pow(b2, Real(t)));
      p[k] -= Real(o.lr) * m_hat / (std::sqrt(v_hat) + Real(o.eps));
    }
  }
};

// Runs `steps` steps of opt and of the oracle on the same parameters and gradients (new gradients
// each step, so momentum and moments matter), comparing the parameters after every step.
template <typename T, typename Opt, typename Oracle>
void check_steps(Opt& opt, Oracle& oracle, int steps) {
  const index_t n = 13;
  std::vector<T> p = naive::values<T>(n, 1, -2, 2), g(n);
  opt.add(p.data(), g.data(), n);
  Vec want(p.begin(), p.end());
  for (int s = 0; s < steps; ++s) {
    const auto grad = naive::values<T>(n, 100 + s, -1, 1);
    std::copy(grad.begin(), grad.end(), g.begin());
    opt.step();
    oracle.step(want, Vec(g.begin(), g.end()));
    // An oracle in long double from float32 inputs: the float32 result drifts by rounding each step.
    CHECK_ALL_NEAR(p.data(), want.data(), n, tol<T> * (s + 1));
    if constexpr (std::is_same_v<T, float>) want.assign(p.begin(), p.end());  // resync: compare one step at a time
  }
  CHECK(opt.steps(0) == steps);
}

template <typename T>
void check_sgd_variants() {
  for (double momentum : {0.0, 0.9})
    for (double dampening : {0.0, 0.3})
      for (double weight_decay : {0.0, 0.01})
        for (bool nesterov : {false, true}) {
          if (nesterov && (momentum == 0 || dampening != 0)) continue;
          const bool maximize = momentum != 0 && weight_decay != 0;  // -g through every term
          const SGDOptions o{0.1, momentum, dampening, weight_decay, nesterov, maximize};
          check::context = type_name<T> + " SGD momentum " + std::to_string(momentum) + " dampening " +
                           std::to_string(dampening) + " weight_decay " + std::to_string(weight_decay) +
                           (nesterov ? " nesterov" : "") + (maximize ? " maximize" : "");
          SGD<T> opt(o);
          NaiveSGD oracle{o, {}};
          check_steps<T>(opt, oracle, 6);
          CHECK(opt.buffer(0, 0).empty() == (momentum == 0));  // no buffer without momentum, as torch
        }
}

TEST(sgd_matches_naive) {
  check_sgd_variants<float>();
  check_sgd_variants<double>();
}

template <typename T>
void check_adam_variants() {
  for (double weight_decay : {0.0, 0.05})
    for (bool amsgrad : {false, true})
      for (bool decoupled : {false, true}) {
        AdamOptions o;
        o.lr = 0.01;
        o.beta1 = 0.8;
        o.weight_decay = weight_decay;
        o.amsgrad = amsgrad;
        o.decoupled_weight_decay = decoupled;
        o.maximize = amsgrad != decoupled;  // -g through every term, in half the cases
        check::context = type_name<T> + " Adam weight_decay " + std::to_string(weight_decay) +
                         (amsgrad ? " amsgrad" : "") + (decoupled ? " decoupled" : "") +
                         (o.maximize ? " maximize" : "");
        Adam<T> opt(o);
        NaiveAdam oracle{o, {}, {}, {}};
        check_steps<T>(opt, oracle, 8);
        CHECK(opt.buffer(0, 2).empty() == !amsgrad);
      }
}

TEST(adam_matches_naive) {
  check_adam_variants<float>();
  check_adam_variants<double>();
}

TEST(sgd_first_step_initialises_momentum_to_the_gradient) {
  // torch: the buffer starts as the gradient itself, so step 1 moves by lr * g, not lr * (1 - dampening) g.
  SGDOptions o;
  o.lr = 0.5;
  o.momentum = 0.9;
  o.dampening = 0.5;
  SGD<double> opt(o);
  std::vector<double> p = {1.0, -2.0}, g = {0.25, 1.0};
  opt.add(p.data(), g.data(), 2);
  opt.step();
  CHECK(p[0] == 1.0 - 0.5 * 0.25 && p[1] == -2.0 - 0.5 * 1.0);
  CHECK(opt.buffer(0, 0) == g);
  opt.step();  // v = 0.9 v + 0.5 g = 1.4 g
  CHECK_NEAR(p[0], 1.0 - 0.5 * 0.25 - 0.5 * 1.4 * 0.25, 1e-15);
}

TEST(adam_first_step_moves_each_value_by_lr) {
  // With bias correction, step 1 is lr * g / (|g| + eps): every value moves by about lr.
  AdamOptions o;
  o.lr = 0.1;
  Adam<double> opt(o);
  std::vector<double> p = {0.0, 0.0, 0.0}, g = {3.0, -0.001, 0.0};
  opt.add(p.data(), g.data(), 3);
  opt.step();
  CHECK_NEAR(p[0], -0.1, 1e-9);
  CHECK_NEAR(p[1], 0.1, 1e-5);
  CHECK(p[2] == 0.0);
}

TEST(settings_that_torch_rejects_throw) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const auto sgd = [](double lr, double momentum, double dampening, double wd, bool nesterov) {
    return SGD<float>(SGDOptions{lr, momentum, dampening, wd, nesterov});
  };
  CHECK_THROWS_WITH(sgd(-0.1, 0, 0, 0, false), std::invalid_argument, "Invalid learning rate: -0.1");
  CHECK_THROWS_WITH(sgd(nan, 0, 0, 0, false), std::invalid_argument, "Invalid learning rate");
  CHECK_THROWS_WITH(sgd(inf, 0, 0, 0, false), std::invalid_argument, "Invalid learning rate");
  CHECK_THROWS_WITH(sgd(0.1, -0.5, 0, 0, false), std::invalid_argument, "Invalid momentum value: -0.5");
  CHECK_THROWS_WITH(sgd(0.1, 0, 0, -1e-4, false), std::invalid_argument, "Invalid weight_decay value");
  CHECK_THROWS_WITH(sgd(0.1, 0, 0, 0, true), std::invalid_argument, "Nesterov momentum requires");
  CHECK_THROWS_WITH(sgd(0.1, 0.9, 0.1, 0, true), std::invalid_argument, "zero dampening");
  sgd(0.0, 0.9, 0.0, 0.0, true);  // lr 0 is allowed, as in torch

  const auto adam = [](double lr, double b1, double b2, double eps, double wd) {
    AdamOptions o;
    o.lr = lr, o.beta1 = b1, o.beta2 = b2, o.eps = eps, o.weight_decay = wd;
    return Adam<double>(o);
  };
  CHECK_THROWS_WITH(adam(-1, 0.9, 0.999, 1e-8, 0), std::invalid_argument, "Invalid learning rate: -1");
  CHECK_THROWS_WITH(adam(1e-3, 1.0, 0.999, 1e-8, 0), std::invalid_argument, "Invalid beta parameter at index 0: 1");
  CHECK_THROWS_WITH(adam(1e-3, -0.1, 0.999, 1e-8, 0), std::invalid_argument, "index 0");
  CHECK_THROWS_WITH(adam(1e-3, 0.9, 1.5, 1e-8, 0), std::invalid_argument, "Invalid beta parameter at index 1: 1.5");
  CHECK_THROWS_WITH(adam(1e-3, 0.9, nan, 1e-8, 0), std::invalid_argument, "index 1");
  CHECK_THROWS_WITH(adam(1e-3, 0.9, 0.999, -1e-8, 0), std::invalid_argument, "Invalid epsilon value");
  CHECK_THROWS_WITH(adam(1e-3, 0.9, 0.999, 1e-8, -1), std::invalid_argument, "Invalid weight_decay value");
  adam(1e-3, 0.0, 0.0, 0.0, 0.0);  // the edges torch accepts

  // set_options checks too, and a refused setting keeps the old ones.
  SGD<double> opt(SGDOptions{0.1, 0.9, 0, 0, false});
  CHECK_THROWS(opt.set_options(SGDOptions{-1, 0.9, 0, 0, false}), std::invalid_argument);
  CHECK(opt.options().lr == 0.1);
}

TEST(set_options_keeps_the_state) {
  // A learning-rate change in the middle of training continues from the same momentum buffer.
  SGD<double> a(SGDOptions{0.1, 0.9, 0, 0, false});
  std::vector<double> p = {1.0, 2.0}, g = {0.5, -0.5};
  a.add(p.data(), g.data(), 2);
  NaiveSGD oracle{{0.1, 0.9, 0, 0, false}, {}};
  Vec want = {1.0, 2.0};
  a.step();
  oracle.step(want, {0.5, -0.5});
  a.set_options(SGDOptions{0.01, 0.9, 0, 0, false});
  oracle.o.lr = 0.01;
  a.step();
  oracle.step(want, {0.5, -0.5});
  CHECK_ALL_NEAR(p.data(), want.data(), 2, 1e-15L);
}

TEST(state_round_trips_and_is_checked) {
  Adam<float> a;
  std::vector<float> p = {1, 2, 3}, g = {0.1f, -0.2f, 0.3f};
  a.add(p.data(), g.data(), 3);
  CHECK(a.size() == 1 && a.numel(0) == 3 && a.steps(0) == 0);
  CHECK(a.buffer_names() == std::vector<std::string>({"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}));
  CHECK(a.buffer(0, 0).empty());
  a.step();
  a.step();

  // A second optimizer given the first one's state continues exactly where it left off.
  std::vector<float> q = p;
  Adam<float> b;
  b.add(q.data(), g.data(), 3);
  b.set_steps(0, a.steps(0));
  for (index_t k = 0; k < 2; ++k) b.set_buffer(0, k, a.buffer(0, k).data(), 3);
  a.step();
  b.step();
  CHECK(std::memcmp(p.data(), q.data(), sizeof(float) * 3) == 0);

  CHECK_THROWS_WITH(b.set_buffer(0, 0, p.data(), 2), ShapeError, "needs 3 values, got 2");
  CHECK_THROWS(b.set_buffer(0, 3, p.data(), 3), std::out_of_range);
  CHECK_THROWS(b.buffer(1, 0), std::out_of_range);
  CHECK_THROWS(b.set_steps(0, -1), std::invalid_argument);
  CHECK_THROWS(b.add(nullptr, g.data(), 3), std::invalid_argument);
  b.set_buffer(0, 0, nullptr, 0);  // cleared: the next step starts that moment from zero again
  CHECK(b.buffer(0, 0).empty());
}

TEST(zero_grad_zeroes_every_gradient) {
  SGD<float> opt;
  std::vector<float> p1 = {1, 2}, g1 = {3, 4}, p2 = {5}, g2 = {6};
  opt.add(p1.data(), g1.data(), 2);
  opt.add(p2.data(), g2.data(), 1);
  opt.zero_grad();
  CHECK(g1[0] == 0 && g1[1] == 0 && g2[0] == 0);
  CHECK(p1[0] == 1 && p2[0] == 5);
}

TEST(adam_trains_a_sequential) {
  // The layer and network overloads of add() register every Dense's [W | b] buffer.
  Sequential<double> net;
  net.add(Dense<double>(3, 8, 1)).add(Tanh<double>()).add(Dense<double>(8, 1, 2));
  AdamOptions o;
  o.lr = 0.02;
  Adam<double> opt(o);
  opt.add(net);
  CHECK(opt.size() == 2 && opt.numel(0) == 8 * 3 + 8 && opt.numel(1) == 8 + 1);

  const auto x = naive::values<double>(32 * 3, 7);
  Matrix<double> xm(32, 3), target(32, 1);
  std::copy(x.begin(), x.end(), xm.data());
  for (index_t r = 0; r < 32; ++r) target(r, 0) = xm(r, 0) * xm(r, 1) - xm(r, 2);
  MSELoss<double> loss;
  double first = 0, last = 0;
  for (int s = 0; s < 300; ++s) {
    const double l = loss.forward(net.forward(xm), target);
    if (s == 0) first = l;
    last = l;
    net.backward(loss.backward());
    opt.step();
  }
  CHECK(last < 0.05 * first);
}

// The init the Python tests also pin (tests/test_optimizers.py): the same seed gives the same
// weights in both languages, from SplitMix64 and bound * uniform[-1, 1).
TEST(seeded_init_known_values) {
  const double he[] = {0.6832486555042502, -0.9619186696311943, -0.6262105685745144,
                       -0.440695203671812,  -1.3066480021151936, 1.0415062797973285};
  const double xavier[] = {0.5292421328173138,  -0.7450989975775218, -0.48506062066163436,
                           -0.3413610369148827, -1.0121251903094675, 0.806747295325099};
  for (auto [init, want] : {std::pair{Init::he, he}, std::pair{Init::xavier, xavier}}) {
    Dense<double> d(3, 2, 42, init);
    Dense<float> f(3, 2, 42, init);
    for (int k = 0; k < 6; ++k) {
      CHECK(d.parameters()[k] == want[k]);
      CHECK(f.parameters()[k] == static_cast<float>(want[k]));
    }
    CHECK(d.parameters()[6] == 0 && d.parameters()[7] == 0);  // bias starts at zero
  }
}
