// Bindings of Dense and the activations, for float32 and float64 (classes Dense_float32, ...).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <string>

#include "arrays.hpp"
#include "locked.hpp"
#include "densenn/layers.hpp"

namespace densenn::bindings {

namespace {

template <typename T>
py::array_t<T> layer_forward(Layer<T>& layer, const CArray<T>& x, bool training) {
  MatrixView<const T> xv = matrix_view(x, "x");
  auto [y, yv] = new_matrix<T>(xv.rows(), layer.output_cols(xv.cols()));
  Locked locked(layer);
  layer.forward(yv, xv, training);
  return y;
}

template <typename T>
py::array_t<T> layer_backward(Layer<T>& layer, const CArray<T>& dy) {
  MatrixView<const T> dyv = matrix_view(dy, "grad_out");
  auto [dx, dxv] = new_matrix<T>(dyv.rows(), layer.input_cols(dyv.cols()));
  Locked locked(layer);
  layer.backward(dxv, dyv);
  return dx;
}

// forward, backward, kind: what every layer class offers.
template <typename T, typename Class>
void def_layer_methods(Class& cls) {
  cls.def("forward", &layer_forward<T>, py::arg("x"), py::arg("training") = true,
          "Y for X of shape (batch, in); with training=True keep what backward needs.");
  cls.def("backward", &layer_backward<T>, py::arg("grad_out"),
          "dE/dX for dE/dY of the last training forward's output shape; overwrites parameter gradients.");
  cls.def_property_readonly("kind", &Layer<T>::kind, "The layer kind: 'dense', 'relu', ...");
  cls.def_property_readonly("forward_stamp", &Layer<T>::forward_stamp,
                            "Changes at every training forward (0 before the first).");
}

template <typename T>
void bind_dense(py::module_& m) {
  using D = Dense<T>;
  py::class_<D, Layer<T>, std::shared_ptr<D>> cls(m, (std::string("Dense_") + dtype_name<T>()).c_str(),
                              "Fully connected layer Y = X W^T + b over C++-owned parameters.");
  cls.def(py::init([](index_t in, index_t out, std::uint64_t seed, const std::string& init, bool bias) {
            return std::make_shared<D>(in, out, seed, parse_init(init), bias);
          }),
          py::arg("in_features"), py::arg("out_features"), py::arg("seed"), py::arg("init") = "he",
          py::arg("bias") = true);
  cls.def_property_readonly("in_features", &D::in_features);
  cls.def_property_readonly("out_features", &D::out_features);
  cls.def_property_readonly("has_bias", &D::has_bias);
  cls.def_property_readonly(
      "weight", [](py::object self) {
        D& d = self.cast<D&>();
        return owned_view<T>(d.weight().data(), {d.out_features(), d.in_features()}, self);
      },
      "(out_features, in_features) writable view of the weights.");
  cls.def_property_readonly(
      "grad_weight", [](py::object self) {
        D& d = self.cast<D&>();
        return owned_view<T>(d.grad_weight().data(), {d.out_features(), d.in_features()}, self);
      },
      "(out_features, in_features) writable view of the weight gradient.");
  cls.def_property_readonly(
      "bias", [](py::object self) -> py::object {
        D& d = self.cast<D&>();
        if (!d.has_bias()) return py::none();
        return owned_view<T>(d.bias(), {d.out_features()}, self);
      },
      "(out_features,) writable view of the bias, or None.");
  cls.def_property_readonly(
      "grad_bias", [](py::object self) -> py::object {
        D& d = self.cast<D&>();
        if (!d.has_bias()) return py::none();
        return owned_view<T>(d.grad_bias(), {d.out_features()}, self);
      },
      "(out_features,) writable view of the bias gradient, or None.");
  cls.def(
      "backward_parameters",
      [](D& d, const CArray<T>& dy) {
        MatrixView<const T> dyv = matrix_view(dy, "grad_out");
        Locked locked(d);
        d.backward_parameters(dyv);
      },
      py::arg("grad_out"), "Fill grad_weight and grad_bias only, without computing dE/dX.");
  cls.def(
      "step",
      [](D& d, T lr) {
        Locked locked(d);
        d.step(lr);
      },
      py::arg("lr"), "Plain SGD, in place: W -= lr * dW; b -= lr * db.");
  def_layer_methods<T>(cls);
}

template <typename Act, typename T>
void bind_activation(py::module_& m, const char* name, const char* doc) {
  py::class_<Act, Layer<T>, std::shared_ptr<Act>> cls(m, (std::string(name) + "_" + dtype_name<T>()).c_str(), doc);
  cls.def(py::init<>());
  def_layer_methods<T>(cls);
}

template <typename T>
void bind_all(py::module_& m) {
  py::class_<Layer<T>, std::shared_ptr<Layer<T>>>(m, (std::string("Layer_") + dtype_name<T>()).c_str(), "Base of the C++ layers.");
  bind_dense<T>(m);
  bind_activation<ReLU<T>, T>(m, "ReLU", "max(x, 0), elementwise.");
  bind_activation<Sigmoid<T>, T>(m, "Sigmoid", "1 / (1 + exp(-x)), elementwise.");
  bind_activation<Tanh<T>, T>(m, "Tanh", "tanh(x), elementwise.");
  bind_activation<Softmax<T>, T>(m, "Softmax", "Softmax over the last axis.");
  py::class_<LeakyReLU<T>, Layer<T>, std::shared_ptr<LeakyReLU<T>>> leaky(m, (std::string("LeakyReLU_") + dtype_name<T>()).c_str(),
                                           "x if x > 0 else negative_slope * x, elementwise.");
  leaky.def(py::init<T>(), py::arg("negative_slope") = T(0.01));
  leaky.def_property_readonly("negative_slope", &LeakyReLU<T>::negative_slope);
  def_layer_methods<T>(leaky);
}

}  // namespace

void bind_layers(py::module_& m) {
  bind_all<float>(m);
  bind_all<double>(m);
}

}  // namespace densenn::bindings
