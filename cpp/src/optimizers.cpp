// SGD and Adam: the update kernels (torch.optim's formulas, term by term) and the state they keep.
#include "densenn/optimizers.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace densenn {

// ---- kernels ------------------------------------------------------------------------------------
// Each line below is one tensor operation of torch.optim's single-tensor implementation, in its
// order, so float64 results agree with PyTorch to rounding.

template <typename T>
void sgd_step(T* p, T* v, const T* g, const SGDStep<T>& h, bool first, index_t n) {
  const bool momentum = h.momentum != T(0);
  for (index_t k = 0; k < n; ++k) {
    T d = h.maximize ? -g[k] : g[k];
    if (h.weight_decay != T(0)) d = d + h.weight_decay * p[k];  // grad.add(param, alpha=weight_decay)
    if (momentum) {
      v[k] = first ? d : v[k] * h.momentum + h.one_minus_dampening * d;  // buf.mul_(momentum).add_(d, ...)
      d = h.nesterov ? d + h.momentum * v[k] : v[k];
    }
    p[k] = p[k] + (-h.lr) * d;  // param.add_(d, alpha=-lr)
  }
}

template <typename T>
AdamStep<T> adam_step_scalars(const AdamOptions& o, std::int64_t t) {
  const double bias_correction1 = 1.0 - std::pow(o.beta1, double(t));
  const double bias_correction2 = 1.0 - std::pow(o.beta2, double(t));
  AdamStep<T> h;
  h.beta2 = T(o.beta2);
  h.one_minus_beta1 = T(1.0 - o.beta1);
  h.one_minus_beta2 = T(1.0 - o.beta2);
  h.eps = T(o.eps);
  h.weight_decay = T(o.weight_decay);
  h.decoupled_weight_decay = o.decoupled_weight_decay;
  h.decay_scale = T(1.0 - o.lr * o.weight_decay);
  h.step_size = T(o.lr / bias_correction1);
  h.bias_correction2_sqrt = T(std::pow(bias_correction2, 0.5));  // torch: bias_correction2**0.5
  h.amsgrad = o.amsgrad;
  h.maximize = o.maximize;
  return h;
}

template <typename T>
void adam_step(T* p, T* m, T* v, T* v_max, const T* g, const AdamStep<T>& h, index_t n) {
  // torch.lerp(m, d, w): m + w (d - m) for |w| < 0.5, else d - (d - m)(1 - w), to stay exact at w = 1.
  const T w = h.one_minus_beta1;
  const bool small_weight = std::fabs(w) < T(0.5);
  for (index_t k = 0; k < n; ++k) {
    T d = h.maximize ? -g[k] : g[k];
    if (h.weight_decay != T(0)) {
      if (h.decoupled_weight_decay)
        p[k] = p[k] * h.decay_scale;  // param.mul_(1 - lr * weight_decay)
      else
        d = d + h.weight_decay * p[k];  // grad.add(param, alpha=weight_decay)
    }
    m[k] = small_weight ? m[k] + w * (d - m[k]) : d - (d - m[k]) * (T(1) - w);  // exp_avg.lerp_(d, 1 - beta1)
    v[k] = v[k] * h.beta2 + h.one_minus_beta2 * d * d;                           // mul_(beta2).addcmul_(d, d)
    T second = v[k];
    if (h.amsgrad) second = v_max[k] = std::max(v_max[k], v[k]);
    const T denom = std::sqrt(second) / h.bias_correction2_sqrt + h.eps;
    p[k] = p[k] + (-h.step_size) * (m[k] / denom);  // param.addcdiv_(m, denom, value=-step_size)
  }
}

// ---- Optimizer ----------------------------------------------------------------------------------

template <typename T>
typename Optimizer<T>::Slot& Optimizer<T>::slot(index_t i) {
  return const_cast<Slot&>(static_cast<const Optimizer<T>*>(this)->slot(i));
}

template <typename T>
const typename Optimizer<T>::Slot& Optimizer<T>::slot(index_t i) const {
  if (i < 0 || i >= size())
    throw std::out_of_range("optimizer: parameter index " + std::to_string(i) + " out of range for " +
                            std::to_string(size()) + " parameters");
  return slots_[static_cast<std::size_t>(i)];
}

template <typename T>
void Optimizer<T>::add(T* param, T* grad, index_t n) {
  if (n < 0) throw std::invalid_argument("optimizer: negative parameter size " + std::to_string(n));
  if (n > 0 && (param == nullptr || grad == nullptr))
    throw std::invalid_argument("optimizer: null parameter or gradient buffer");
  Slot s{param, grad, n, 0, {}};
  s.buffers.resize(buffer_names().size());
  slots_.push_back(std::move(s));
}

template <typename T>
void Optimizer<T>::add(Dense<T>& layer) {
  add(layer.parameters().data(), layer.gradients().data(), static_cast<index_t>(layer.parameters().size()));
}

template <typename T>
void Optimizer<T>::add(Sequential<T>& net) {
  for (index_t i = 0; i < net.size(); ++i)
    if (auto* dense = dynamic_cast<Dense<T>*>(&net[i])) add(*dense);
}

template <typename T>
void Optimizer<T>::step() {
  for (Slot& s : slots_) {
    ++s.steps;  // first, as torch does: Adam's bias correction uses the new count
    update(s);
  }
}

template <typename T>
void Optimizer<T>::zero_grad() {
  for (Slot& s : slots_) std::fill(s.grad, s.grad + s.n, T(0));
}

template <typename T>
void Optimizer<T>::set_steps(index_t i, std::int64_t steps) {
  if (steps < 0) throw std::invalid_argument("optimizer: negative step count " + std::to_string(steps));
  slot(i).steps = steps;
}

template <typename T>
const std::vector<T>& Optimizer<T>::buffer(index_t i, index_t k) const {
  const Slot& s = slot(i);
  if (k < 0 || k >= static_cast<index_t>(s.buffers.size()))
    throw std::out_of_range("optimizer: state buffer index " + std::to_string(k) + " out of range");
  return s.buffers[static_cast<std::size_t>(k)];
}

template <typename T>
void Optimizer<T>::set_buffer(index_t i, index_t k, const T* values, index_t n) {
  Slot& s = slot(i);
  buffer(i, k);  // checks k
  if (n != 0 && n != s.n)
    throw ShapeError("optimizer: state buffer of parameter " + std::to_string(i) + " needs " + std::to_string(s.n) +
                     " values, got " + std::to_string(n));
  s.buffers[static_cast<std::size_t>(k)].assign(values, values + n);
}

// ---- settings -----------------------------------------------------------------------------------

namespace {

std::string number(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

// torch.optim's checks, which also reject NaN; infinities are refused too (they can only give NaN).
void check_common(double lr, double weight_decay) {
  require(std::isfinite(lr) && lr >= 0.0, "Invalid learning rate: " + number(lr));
  require(std::isfinite(weight_decay) && weight_decay >= 0.0, "Invalid weight_decay value: " + number(weight_decay));
}

}  // namespace

void check_options(const SGDOptions& o) {
  check_common(o.lr, o.weight_decay);
  require(std::isfinite(o.momentum) && o.momentum >= 0.0, "Invalid momentum value: " + number(o.momentum));
  require(std::isfinite(o.dampening), "Invalid dampening value: " + number(o.dampening));
  require(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
          "Nesterov momentum requires a momentum and zero dampening");
}

void check_options(const AdamOptions& o) {
  check_common(o.lr, o.weight_decay);
  require(std::isfinite(o.eps) && o.eps >= 0.0, "Invalid epsilon value: " + number(o.eps));
  require(o.beta1 >= 0.0 && o.beta1 < 1.0, "Invalid beta parameter at index 0: " + number(o.beta1));
  require(o.beta2 >= 0.0 && o.beta2 < 1.0, "Invalid beta parameter at index 1: " + number(o.beta2));
}

// ---- SGD ----------------------------------------------------------------------------------------

template <typename T>
SGD<T>::SGD(const SGDOptions& options) : options_(options) {
  check_options(options);
}

template <typename T>
void SGD<T>::set_options(const SGDOptions& options) {
  check_options(options);
  options_ = options;
}

template <typename T>
void SGD<T>::update(typename Optimizer<T>::Slot& s) {
  const SGDStep<T> h{T(options_.lr),          T(options_.momentum), T(1.0 - options_.dampening),
                     T(options_.weight_decay), options_.nesterov,   options_.maximize};
  std::vector<T>& buf = s.buffers[0];
  const bool first = h.momentum != T(0) && buf.empty();  // torch creates the buffer on first use
  if (first) buf.resize(static_cast<std::size_t>(s.n));
  sgd_step(s.param, buf.data(), s.grad, h, first, s.n);
}

// ---- Adam ---------------------------------------------------------------------------------------

template <typename T>
Adam<T>::Adam(const AdamOptions& options) : options_(options) {
  check_options(options);
}

template <typename T>
void Adam<T>::set_options(const AdamOptions& options) {
  check_options(options);
  options_ = options;
}

template <typename T>
void Adam<T>::update(typename Optimizer<T>::Slot& s) {
  const auto n = static_cast<std::size_t>(s.n);
  // Moments start at zero (torch's zeros_like), created on the first step or after a cleared state.
  for (std::size_t k = 0; k < (options_.amsgrad ? 3u : 2u); ++k)
    if (s.buffers[k].size() != n) s.buffers[k].assign(n, T(0));
  const auto h = adam_step_scalars<T>(options_, s.steps);
  adam_step(s.param, s.buffers[0].data(), s.buffers[1].data(), h.amsgrad ? s.buffers[2].data() : nullptr, s.grad, h,
            s.n);
}

#define DENSENN_INSTANTIATE_OPTIMIZERS(T)                                                          \
  template void sgd_step<T>(T*, T*, const T*, const SGDStep<T>&, bool, index_t);                  \
  template AdamStep<T> adam_step_scalars<T>(const AdamOptions&, std::int64_t);                     \
  template void adam_step<T>(T*, T*, T*, T*, const T*, const AdamStep<T>&, index_t);              \
  template class Optimizer<T>;                                                                     \
  template class SGD<T>;                                                                           \
  template class Adam<T>;

DENSENN_INSTANTIATE_OPTIMIZERS(float)
DENSENN_INSTANTIATE_OPTIMIZERS(double)

}  // namespace densenn
