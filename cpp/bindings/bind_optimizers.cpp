// Bindings of SGD and Adam, for float32 and float64 (classes SGD_float32, Adam_float64, ...).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "arrays.hpp"
#include "locked.hpp"
#include "densenn/optimizers.hpp"

namespace densenn::bindings {

namespace {

// The data of `a` when it can be updated in place as n values of T: the optimizer keeps this
// pointer, so a converted copy would be wrong (it would update the copy, not the parameter).
template <typename T>
T* in_place_buffer(const py::array& a, const char* name) {
  if (!py::isinstance<py::array_t<T>>(a) || !py::dtype::of<T>().is(a.dtype()))
    throw py::type_error(std::string(name) + " must be a " + dtype_name<T>() + " array");
  if (!(a.flags() & py::array::c_style)) throw std::invalid_argument(std::string(name) + " must be C-contiguous");
  if (!a.writeable()) throw std::invalid_argument(std::string(name) + " must be writable");
  if (reinterpret_cast<std::uintptr_t>(a.data()) % alignof(T) != 0)  // the kernels load whole values
    throw std::invalid_argument(std::string(name) + " must be aligned for its dtype");
  return static_cast<T*>(const_cast<void*>(a.data()));
}

template <typename T, typename Opt, typename Class>
void def_optimizer_methods(Class& cls) {
  cls.def(
      "add",
      [](Opt& opt, const py::array& param, const py::array& grad) {
        T* p = in_place_buffer<T>(param, "param");
        T* g = in_place_buffer<T>(grad, "grad");
        if (param.size() != grad.size())
          throw ShapeError("param has " + std::to_string(param.size()) + " values but grad has " +
                           std::to_string(grad.size()));
        Locked locked(opt);
        opt.add(p, g, param.size());
      },
      py::arg("param"), py::arg("grad"), py::keep_alive<1, 2>(), py::keep_alive<1, 3>(),
      "Register a parameter array and its gradient array (same size, C-contiguous, writable); both are "
      "updated in place and kept alive by the optimizer.");
  cls.def(
      "step",
      [](Opt& opt) {
        Locked locked(opt);
        opt.step();
      },
      "One update of every registered parameter, in place.");
  cls.def(
      "zero_grad",
      [](Opt& opt) {
        Locked locked(opt);
        opt.zero_grad();
      },
      "Zero every registered gradient array.");
  // Every call that reads or writes the optimizer's state takes its mutex (see locked.hpp).
  cls.def(
      "__len__",
      [](const Opt& opt) {
        Locked locked(opt);
        return opt.size();
      },
      "The number of registered parameters.");
  cls.def(
      "numel",
      [](const Opt& opt, index_t i) {
        Locked locked(opt);
        return opt.numel(i);
      },
      py::arg("i"), "The number of values of parameter i.");
  cls.def_property_readonly("buffer_names", &Opt::buffer_names, "The names of the per-parameter state buffers.");
  cls.def(
      "steps",
      [](const Opt& opt, index_t i) {
        Locked locked(opt);
        return opt.steps(i);
      },
      py::arg("i"), "The number of steps parameter i has taken.");
  cls.def(
      "set_steps",
      [](Opt& opt, index_t i, std::int64_t steps) {
        Locked locked(opt);
        opt.set_steps(i, steps);
      },
      py::arg("i"), py::arg("steps"));
  cls.def(
      "buffer",
      [](const Opt& opt, index_t i, index_t k) -> py::object {
        std::vector<T> b;
        {
          Locked locked(opt);
          b = opt.buffer(i, k);
        }
        if (b.empty()) return py::none();
        py::array_t<T> out(static_cast<py::ssize_t>(b.size()));
        std::copy(b.begin(), b.end(), out.mutable_data());
        return std::move(out);
      },
      py::arg("i"), py::arg("k"), "A copy of state buffer k of parameter i (flat), or None before it exists.");
  cls.def(
      "set_buffer",
      [](Opt& opt, index_t i, index_t k, const CArray<T>& values) {
        Locked locked(opt);
        opt.set_buffer(i, k, values.data(), values.size());
      },
      py::arg("i"), py::arg("k"), py::arg("values"),
      "Replace state buffer k of parameter i with `values` (numel(i) values), or clear it (none).");
}

template <typename T>
void bind_all(py::module_& m) {
  const std::string suffix = std::string("_") + dtype_name<T>();

  using Sgd = SGD<T>;
  py::class_<Sgd> sgd(m, ("SGD" + suffix).c_str(), "torch.optim.SGD's update, in place over registered buffers.");
  auto sgd_options = [](double lr, double momentum, double dampening, double weight_decay, bool nesterov,
                        bool maximize) {
    return SGDOptions{lr, momentum, dampening, weight_decay, nesterov, maximize};
  };
  sgd.def(py::init([sgd_options](double lr, double momentum, double dampening, double weight_decay, bool nesterov,
                                 bool maximize) {
            return Sgd(sgd_options(lr, momentum, dampening, weight_decay, nesterov, maximize));
          }),
          py::arg("lr"), py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"), py::arg("nesterov"),
          py::arg("maximize"));
  sgd.def(
      "set_options",
      [sgd_options](Sgd& opt, double lr, double momentum, double dampening, double weight_decay, bool nesterov,
                    bool maximize) {
        Locked locked(opt);
        opt.set_options(sgd_options(lr, momentum, dampening, weight_decay, nesterov, maximize));
      },
      py::arg("lr"), py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"), py::arg("nesterov"),
      py::arg("maximize"), "New settings for later steps (checked as torch.optim.SGD checks them); the state is kept.");
  def_optimizer_methods<T, Sgd>(sgd);

  using Ad = Adam<T>;
  py::class_<Ad> adam(m, ("Adam" + suffix).c_str(), "torch.optim.Adam's update, in place over registered buffers.");
  auto adam_options = [](double lr, double beta1, double beta2, double eps, double weight_decay, bool amsgrad,
                         bool decoupled_weight_decay, bool maximize) {
    return AdamOptions{lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled_weight_decay, maximize};
  };
  adam.def(py::init([adam_options](double lr, double beta1, double beta2, double eps, double weight_decay, bool amsgrad,
                                   bool decoupled, bool maximize) {
             return Ad(adam_options(lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled, maximize));
           }),
           py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"),
           py::arg("amsgrad"), py::arg("decoupled_weight_decay"), py::arg("maximize"));
  adam.def(
      "set_options",
      [adam_options](Ad& opt, double lr, double beta1, double beta2, double eps, double weight_decay, bool amsgrad,
                     bool decoupled, bool maximize) {
        Locked locked(opt);
        opt.set_options(adam_options(lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled, maximize));
      },
      py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("amsgrad"),
      py::arg("decoupled_weight_decay"), py::arg("maximize"),
      "New settings for later steps (checked as torch.optim.Adam checks them); the state is kept.");
  def_optimizer_methods<T, Ad>(adam);
}

}  // namespace

void bind_optimizers(py::module_& m) {
  bind_all<float>(m);
  bind_all<double>(m);
}

}  // namespace densenn::bindings
