// densenn._core: the pybind11 module over the C++ core. Thin: convert, check, release the GIL, call.
#include <pybind11/pybind11.h>

#include "densenn/densenn.hpp"

namespace py = pybind11;

namespace densenn::bindings {
void bind_layers(py::module_& m);
void bind_losses(py::module_& m);
void bind_sequential(py::module_& m);
void bind_optimizers(py::module_& m);
void bind_model_files(py::module_& m);
}  // namespace densenn::bindings

PYBIND11_MODULE(_core, m) {
  m.doc() = "densenn's compiled core: layers, losses and kernels for float32 and float64.";
  m.attr("__version__") = DENSENN_VERSION;

  // ShapeError derives from std::invalid_argument (ValueError) already; StateError is a misuse
  // of call order, which Python reports as RuntimeError.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const densenn::StateError& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });

  m.def("set_num_threads", &densenn::set_num_threads, py::arg("n"),
        "Set the number of threads densenn's kernels may use (n >= 1).");
  m.def("get_num_threads", &densenn::get_num_threads, "The number of threads densenn's kernels may use.");

  densenn::bindings::bind_layers(m);
  densenn::bindings::bind_losses(m);
  densenn::bindings::bind_sequential(m);
  densenn::bindings::bind_optimizers(m);
  densenn::bindings::bind_model_files(m);
}
