// Bindings of Sequential<T>: a whole network in one call per forward, backward, step or train_step.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "locked.hpp"
#include "densenn/losses.hpp"
#include "densenn/sequential.hpp"

namespace densenn::bindings {

namespace {

// Copies a view into the network's buffers to `out`, a caller-owned array made beforehand (with
// the GIL): results belong to the caller, and the copy happens while the network is still locked.
template <typename T>
void copy_to(MatrixView<T> out, MatrixView<const T> v) {
  std::copy(v.data(), v.data() + v.size(), out.data());
}

template <typename T>
void bind_all(py::module_& m) {
  using Net = Sequential<T>;
  py::class_<Net> cls(m, (std::string("Sequential_") + dtype_name<T>()).c_str(),
                      "Layers applied in order, run in C++ with reusable buffers.");
  cls.def(py::init([](const std::vector<std::shared_ptr<Layer<T>>>& layers) {
            auto net = std::make_unique<Net>();
            for (const auto& layer : layers) net->add(layer);
            return net;
          }),
          py::arg("layers"), "A network over these layers (shared, not copied).");
  cls.def_property_readonly("size", &Net::size);
  cls.def(
      "forward",
      [](Net& net, const CArray<T>& x) {
        MatrixView<const T> xv = matrix_view(x, "x");
        auto [y, yv] = new_matrix<T>(xv.rows(), net.output_cols(xv.cols()));
        Locked locked(net);
        copy_to(yv, net.forward(xv));
        return y;
      },
      py::arg("x"), "Training forward of x (batch, in).");
  cls.def(
      "predict",
      [](Net& net, const CArray<T>& x) {
        MatrixView<const T> xv = matrix_view(x, "x");
        auto [y, yv] = new_matrix<T>(xv.rows(), net.output_cols(xv.cols()));
        Locked locked(net);
        copy_to(yv, net.predict(xv));
        return y;
      },
      py::arg("x"), "Forward without training state.");
  cls.def(
      "backward",
      [](Net& net, const CArray<T>& dy) {
        MatrixView<const T> dyv = matrix_view(dy, "grad");
        auto [dx, dxv] = new_matrix<T>(dyv.rows(), net.input_cols(dyv.cols()));
        Locked locked(net);
        copy_to(dxv, net.backward(dyv));
        return dx;
      },
      py::arg("grad"), "Backpropagates dE/doutput through every layer; returns dE/dx.");
  cls.def(
      "step",
      [](Net& net, T lr) {
        Locked locked(net);
        net.step(lr);
      },
      py::arg("lr"), "Plain SGD on every parameter.");

  // train_step for each loss and target kind: forward, loss, backward and SGD in one call.
  auto train_step = [](Net& net, const CArray<T>& x, auto& loss, const CArray<T>& target, T lr) {
    MatrixView<const T> xv = matrix_view(x, "x"), tv = matrix_view(target, "target");
    Locked locked(net, loss);
    return net.train_step(xv, tv, loss, lr);
  };
  cls.def(
      "train_step",
      [train_step](Net& net, const CArray<T>& x, MSELoss<T>& loss, const CArray<T>& target, T lr) {
        return train_step(net, x, loss, target, lr);
      },
      py::arg("x"), py::arg("loss"), py::arg("target"), py::arg("lr"));
  cls.def(
      "train_step",
      [train_step](Net& net, const CArray<T>& x, BCEWithLogitsLoss<T>& loss, const CArray<T>& target, T lr) {
        return train_step(net, x, loss, target, lr);
      },
      py::arg("x"), py::arg("loss"), py::arg("target"), py::arg("lr"));
  cls.def(
      "train_step",
      [train_step](Net& net, const CArray<T>& x, SoftmaxCrossEntropyLoss<T>& loss, const CArray<T>& target,
                   T lr) { return train_step(net, x, loss, target, lr); },
      py::arg("x"), py::arg("loss"), py::arg("target"), py::arg("lr"));
  cls.def(
      "train_step_labels",
      [](Net& net, const CArray<T>& x, SoftmaxCrossEntropyLoss<T>& loss, const CArray<std::int64_t>& labels, T lr) {
        MatrixView<const T> xv = matrix_view(x, "x");
        if (labels.ndim() != 1 || labels.shape(0) != xv.rows())
          throw ShapeError("labels: expected shape (" + std::to_string(xv.rows()) + ",), got " +
                           std::to_string(labels.ndim()) + "-D array of " + std::to_string(labels.size()) + " values");
        check_aligned(labels, "labels");
        const std::int64_t* l = labels.data();
        Locked locked(net, loss);
        return net.train_step(xv, l, loss, lr);
      },
      py::arg("x"), py::arg("loss"), py::arg("labels"), py::arg("lr"),
      "train_step of softmax cross-entropy with integer labels (batch,).");
}

}  // namespace

void bind_sequential(py::module_& m) {
  bind_all<float>(m);
  bind_all<double>(m);
}

}  // namespace densenn::bindings
