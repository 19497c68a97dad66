// Bindings of the losses, for float32 and float64 (classes MSELoss_float32, ...).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "arrays.hpp"
#include "locked.hpp"
#include "densenn/losses.hpp"

namespace densenn::bindings {

namespace {

// backward() -> a new array with the prediction's shape.
template <typename T, typename Loss, typename Class>
void def_loss_backward(Class& cls) {
  cls.def(
      "backward",
      [](const Loss& loss) {
        Matrix<T> grad;
        {
          Locked locked(loss);
          grad = loss.backward();  // shape comes from the last forward; throws before one
        }
        auto [out, view] = new_matrix<T>(grad.rows(), grad.cols());
        std::copy(grad.data(), grad.data() + grad.size(), view.data());
        return out;
      },
      "dE/dpred for the last forward.");
}

template <typename T>
void bind_all(py::module_& m) {
  const std::string suffix = std::string("_") + dtype_name<T>();

  using Mse = MSELoss<T>;
  py::class_<Mse> mse(m, ("MSELoss" + suffix).c_str(), "Mean of (pred - target)^2 over all elements.");
  mse.def(py::init<>());
  mse.def(
      "forward",
      [](Mse& loss, const CArray<T>& pred, const CArray<T>& target) {
        auto p = matrix_view(pred, "pred"), t = matrix_view(target, "target");
        Locked locked(loss);
        return loss.forward(p, t);
      },
      py::arg("pred"), py::arg("target"));
  def_loss_backward<T, Mse>(mse);

  using Sce = SoftmaxCrossEntropyLoss<T>;
  py::class_<Sce> sce(m, ("SoftmaxCrossEntropyLoss" + suffix).c_str(),
                      "Softmax and cross-entropy, mean over the batch.");
  sce.def(py::init<>());
  sce.def(
      "forward_labels",
      [](Sce& loss, const CArray<T>& logits, const CArray<std::int64_t>& labels) {
        auto z = matrix_view(logits, "logits");
        if (labels.ndim() != 1 || labels.shape(0) != z.rows())
          throw ShapeError("labels: expected shape (" + std::to_string(z.rows()) + ",), got " +
                           std::to_string(labels.ndim()) + "-D array of " + std::to_string(labels.size()) + " values");
        check_aligned(labels, "labels");
        const std::int64_t* l = labels.data();
        Locked locked(loss);
        return loss.forward(z, l);
      },
      py::arg("logits"), py::arg("labels"), "Loss for integer labels (batch,) in [0, classes).");
  sce.def(
      "forward_probabilities",
      [](Sce& loss, const CArray<T>& logits, const CArray<T>& target) {
        auto z = matrix_view(logits, "logits"), t = matrix_view(target, "target");
        Locked locked(loss);
        return loss.forward(z, t);
      },
      py::arg("logits"), py::arg("target"), "Loss for class probabilities (batch, classes).");
  def_loss_backward<T, Sce>(sce);

  using Bce = BCEWithLogitsLoss<T>;
  py::class_<Bce> bce(m, ("BCEWithLogitsLoss" + suffix).c_str(),
                      "Sigmoid and binary cross-entropy, mean over all elements.");
  bce.def(py::init<>());
  bce.def(
      "forward",
      [](Bce& loss, const CArray<T>& logits, const CArray<T>& target) {
        auto z = matrix_view(logits, "logits"), t = matrix_view(target, "target");
        Locked locked(loss);
        return loss.forward(z, t);
      },
      py::arg("logits"), py::arg("target"));
  def_loss_backward<T, Bce>(bce);
}

}  // namespace

void bind_losses(py::module_& m) {
  bind_all<float>(m);
  bind_all<double>(m);
}

}  // namespace densenn::bindings
