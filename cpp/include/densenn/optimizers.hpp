// Optimizers: SGD and Adam with exactly torch.optim's update rules, in place over parameter buffers.
//
// An optimizer holds (parameter, gradient, n) buffers and, for each, the state torch.optim keeps
// (momentum buffer; Adam's moments and step count). step() updates every parameter in place from
// the gradients the last backward wrote. The buffers are not owned: they must outlive the optimizer
// and stay where they are (a Dense layer's buffers never move, even when the layer is moved into a
// Sequential).
//
//   densenn::AdamOptions options;
//   options.lr = 1e-3;
//   densenn::Adam<float> opt(options);
//   opt.add(net);                          // every Dense of a Sequential<float>
//   ... net.backward(loss.backward()); opt.step();
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "densenn/lockable.hpp"
#include "densenn/layers.hpp"
#include "densenn/matrix.hpp"
#include "densenn/sequential.hpp"

namespace densenn {

// ---- settings -----------------------------------------------------------------------------------

// torch.optim.SGD's settings and defaults.
struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  bool maximize = false;  // ascend: step along +gradient (torch's maximize)
};

// torch.optim.Adam's settings and defaults (betas = (beta1, beta2)).
struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool amsgrad = false;
  bool decoupled_weight_decay = false;  // true: AdamW (torch.optim.AdamW; its default weight_decay is 0.01)
  bool maximize = false;                // ascend: step along +gradient (torch's maximize)
};

// ---- kernels ------------------------------------------------------------------------------------

// The scalars of one SGD step, in the parameters' type.
template <typename T>
struct SGDStep {
  T lr, momentum, one_minus_dampening, weight_decay;  // 1 - dampening computed in double, as in torch
  bool nesterov;
  bool maximize;
};

// One torch.optim.SGD step over n values, in place.   p (n) parameters, v (n) momentum buffer, g (n)
//   d = g + weight_decay * p                  (g replaced by -g with maximize)
//   if momentum != 0:
//     v = d                                   on the buffer's first step (first = true)
//     v = momentum * v + (1 - dampening) * d  afterwards
//     d = d + momentum * v  (nesterov)   or   d = v
//   p = p - lr * d
// This is PyTorch's momentum (v accumulates gradients, lr scales the step), not the textbook
// v = momentum * v - lr * g. With momentum == 0, v is not read or written and may be null.
template <typename T>
void sgd_step(T* p, T* v, const T* g, const SGDStep<T>& h, bool first, index_t n);

// The scalars of Adam's step t (t = 1 for the first step), in the parameters' type.
template <typename T>
struct AdamStep {
  T beta2, eps, weight_decay;
  T one_minus_beta1, one_minus_beta2;  // computed in double, as torch.optim does: 1 - float(0.999) is not float(0.001)
  bool decoupled_weight_decay;  // AdamW: p = decay_scale * p instead of adding weight_decay * p to g
  T decay_scale;                // 1 - lr * weight_decay
  T step_size;                  // lr / (1 - beta1^t)
  T bias_correction2_sqrt;      // sqrt(1 - beta2^t)
  bool amsgrad;
  bool maximize;
};

// The AdamStep of step t (>= 1): bias corrections computed in double, as torch.optim does.
template <typename T>
AdamStep<T> adam_step_scalars(const AdamOptions& options, std::int64_t t);

// One torch.optim.Adam step over n values, in place.
//   p (n) parameters, m (n) exp_avg, v (n) exp_avg_sq, v_max (n) max_exp_avg_sq (amsgrad only,
//   else may be null), g (n) gradient.
//   d = g + weight_decay * p                  (or, AdamW: d = g and p = (1 - lr * weight_decay) * p;
//                                              g replaced by -g with maximize)
//   m = m + (1 - beta1) * (d - m)             (torch's lerp; = beta1 * m + (1 - beta1) * d)
//   v = beta2 * v + (1 - beta2) * d * d
//   amsgrad: v_max = max(v_max, v), and v_max stands for v below
//   p = p - step_size * m / (sqrt(v) / bias_correction2_sqrt + eps)
//       with step_size = lr / (1 - beta1^t), bias_correction2_sqrt = sqrt(1 - beta2^t)
template <typename T>
void adam_step(T* p, T* m, T* v, T* v_max, const T* g, const AdamStep<T>& h, index_t n);

// ---- optimizer classes --------------------------------------------------------------------------

// What SGD and Adam share: the registered buffers and their per-parameter state.
template <typename T>
class Optimizer : public Lockable {
 public:
  virtual ~Optimizer() = default;

  // Adds a parameter of n values and its gradient buffer of n values (written by backward).
  // Throws std::invalid_argument for null buffers or a negative n.
  void add(T* param, T* grad, index_t n);
  // Adds a Dense layer's parameters (its [W | b] buffer and gradients).
  void add(Dense<T>& layer);
  // Adds every Dense layer of a network, in order.
  void add(Sequential<T>& net);

  // One update of every parameter, in place, from its gradient buffer.
  void step();
  // Zeroes every gradient buffer. Backward overwrites gradients anyway; this is for code written
  // for PyTorch, where gradients accumulate.
  void zero_grad();

  // The number of parameters added, and the number of values of parameter i.
  index_t size() const { return static_cast<index_t>(slots_.size()); }
  index_t numel(index_t i) const { return slot(i).n; }

  // Per-parameter state, to save and restore it (as torch.optim's state_dict):
  // the number of steps parameter i has taken, and its named state buffers (buffer_names();
  // a buffer is empty until the optimizer creates it).
  std::int64_t steps(index_t i) const { return slot(i).steps; }
  void set_steps(index_t i, std::int64_t steps);
  virtual std::vector<std::string> buffer_names() const = 0;
  const std::vector<T>& buffer(index_t i, index_t k) const;
  // Replaces buffer k of parameter i with n values (n = numel(i)), or clears it (n = 0).
  void set_buffer(index_t i, index_t k, const T* values, index_t n);

 protected:
  struct Slot {
    T* param;
    T* grad;
    index_t n;
    std::int64_t steps = 0;
    std::vector<std::vector<T>> buffers;
  };
  virtual void update(Slot& slot) = 0;

 private:
  Slot& slot(index_t i);
  const Slot& slot(index_t i) const;
  std::vector<Slot> slots_;
};

// Throws std::invalid_argument for settings torch.optim.SGD rejects (negative lr, momentum or
// weight_decay; nesterov without momentum or with dampening) and for non-finite values.
void check_options(const SGDOptions& options);

// Stochastic gradient descent with torch.optim.SGD's momentum, dampening, Nesterov and weight decay.
// State per parameter: "momentum_buffer" (created on the first step with momentum != 0).
template <typename T>
class SGD final : public Optimizer<T> {
 public:
  explicit SGD(const SGDOptions& options = {});
  const SGDOptions& options() const { return options_; }
  // New settings for later steps (a learning-rate schedule, say); the state is kept.
  void set_options(const SGDOptions& options);
  std::vector<std::string> buffer_names() const override { return {"momentum_buffer"}; }

 private:
  void update(typename Optimizer<T>::Slot& slot) override;
  SGDOptions options_;
};

// Throws std::invalid_argument for settings torch.optim.Adam rejects (negative lr, eps or
// weight_decay; betas outside [0, 1)) and for non-finite values.
void check_options(const AdamOptions& options);

// Adam with bias correction, optional L2 or decoupled (AdamW) weight decay and AMSGrad, as
// torch.optim.Adam.
// State per parameter: the step count, "exp_avg", "exp_avg_sq" and, with amsgrad, "max_exp_avg_sq".
template <typename T>
class Adam final : public Optimizer<T> {
 public:
  explicit Adam(const AdamOptions& options = {});
  const AdamOptions& options() const { return options_; }
  void set_options(const AdamOptions& options);
  std::vector<std::string> buffer_names() const override { return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}; }

 private:
  void update(typename Optimizer<T>::Slot& slot) override;
  AdamOptions options_;
};

}  // namespace densenn
